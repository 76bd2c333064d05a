import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { connect } from "@nats-io/transport-node";
import { type ServerHandle, startNats, startRedis } from "@swarmlink/harness";
import { kvKeys } from "@swarmlink/protocol";
import { NatsKvStore, RedisStore, type Store } from "@swarmlink/store";
import { NatsBus } from "@swarmlink/transport";
import { Redis } from "ioredis";
import { type ElectionRecord, elect, readElection } from "../../src/election/mod.js";
import type { Leadership } from "../../src/types.js";

// Short by default to keep the suite fast; measure the coordinator's defaults with
// SWARMLINK_ELECTION_LEASE_MS=2000 SWARMLINK_ELECTION_RENEW_MS=500.
const LEASE_MS = Number(process.env.SWARMLINK_ELECTION_LEASE_MS ?? 1000);
const RENEW_MS = Number(process.env.SWARMLINK_ELECTION_RENEW_MS ?? 250);
const GROUP = "failover";
/** Room for scheduling and round trips on a loaded test machine, in ms. */
const SLACK_MS = 250;

/** A store on a connection of its own, and a way to cut that connection without a goodbye. */
interface Client {
  store: Store;
  cut(): Promise<void> | void;
  /** Closes the store, then the connection (the store does not own it). */
  close(): Promise<void>;
}

interface Backend {
  name: string;
  start(): Promise<ServerHandle>;
  client(server: ServerHandle, space: string): Promise<Client>;
}

const backends: Backend[] = [
  {
    name: "redis",
    start: () => startRedis(),
    async client(server, space) {
      const redis = new Redis(server.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
      redis.on("error", () => {});
      await redis.connect();
      const store = await RedisStore.connect({ client: redis, namespace: space });
      const cut = () => redis.disconnect();
      return { store, cut, close: () => store.close().finally(cut) };
    },
  },
  {
    name: "nats-kv",
    start: () => startNats(),
    async client(server, space) {
      const nc = await connect({ servers: server.url });
      const store = await NatsKvStore.connect({ connection: nc, bucket: space });
      const cut = () => nc.close();
      return { store, cut, close: () => store.close().finally(cut) };
    },
  },
];

for (const backend of backends) {
  describe(`leader election on a real ${backend.name} store`, function () {
    this.timeout(20_000);
    let server: ServerHandle;
    let clients: Client[] = [];
    let candidates: Leadership[] = [];
    const join = async (n: number, space: string) => {
      for (let i = 0; i < n; i++) {
        const c = await backend.client(server, space);
        clients.push(c);
        candidates.push(
          elect(c.store, GROUP, `node-${candidates.length}`, { leaseMs: LEASE_MS, renewMs: RENEW_MS }),
        );
      }
    };
    const leaders = () => candidates.filter((l) => l.isLeader);
    const waitForOneLeader = async (timeoutMs: number) => {
      const ac = new AbortController();
      const timer = setTimeout(() => ac.abort(), timeoutMs);
      try {
        return await Promise.any(
          candidates.map((l) => l.waitForLeadership({ signal: ac.signal }).then(() => l)),
        );
      } finally {
        clearTimeout(timer);
        ac.abort();
      }
    };

    before(async () => {
      server = await backend.start();
    });
    afterEach(async () => {
      await Promise.all(candidates.map((l) => l.close()));
      await Promise.all(clients.map((c) => c.close()));
      candidates = [];
      clients = [];
    });
    after(async () => {
      await server?.stop();
    });

    it("elects one leader among three candidates on separate connections, and all agree", async () => {
      await join(3, `e-${randomUUID()}`);
      const leader = await waitForOneLeader(5000);
      await new Promise((resolve) => setTimeout(resolve, 2 * RENEW_MS));
      assert.deepEqual(leaders(), [leader]);
      for (const l of candidates)
        assert.deepEqual([l.state().holder, l.state().token], [leader.candidateId, leader.token]);
    });

    it("sees a lapsed lease expire within the store's declared expiryLatencyMs", async () => {
      const c = await backend.client(server, `x-${randomUUID()}`);
      clients.push(c);
      const ttlMs = 200;
      const w = c.store.watch("leases.");
      await w.initialized;
      const deadlines = new Map<string, number>();
      for (let i = 0; i < 5; i++) {
        await new Promise((resolve) => setTimeout(resolve, 53)); // spread over the reaper's period
        const sentAt = Date.now();
        await c.store.put(`leases.l${i}`, new Uint8Array([i]), { ttlMs });
        deadlines.set(`leases.l${i}`, sentAt + ttlMs);
      }
      const lateMs: number[] = [];
      for await (const change of w) {
        if (change.op === "expire") lateMs.push(Date.now() - deadlines.get(change.key)!);
        if (lateMs.length === deadlines.size) break;
      }
      const declared = c.store.capabilities.expiryLatencyMs;
      console.log(
        `      ${backend.name} expire seen after the TTL: ${lateMs.join(", ")} ms (declared ${declared})`,
      );
      assert.ok(Math.max(...lateMs) <= declared + SLACK_MS, `${lateMs} vs ${declared}`);
    });

    it("fails over within leaseMs + renewMs + expiryLatencyMs of the leader's connection being cut", async () => {
      const space = `f-${randomUUID()}`;
      await join(4, space);
      const watcher = await backend.client(server, space);
      clients.push(watcher);
      const renewals = await follow(watcher.store);
      const bound = LEASE_MS + RENEW_MS + watcher.store.capabilities.expiryLatencyMs + SLACK_MS;
      let leader = await waitForOneLeader(5000);
      const rows: string[] = [];
      for (let round = 0; round < 3; round++) {
        const old = leader.assertLeader();
        const cutAt = Date.now();
        await clients[candidates.indexOf(leader)]!.cut();
        const alive = candidates.filter((l) => l !== leader);
        leader = await Promise.any(alive.map((l) => l.waitForLeadership().then(() => l)));
        const tookMs = Date.now() - cutAt;
        const leaseEnd =
          Math.max(...renewals.filter((r) => r.token === old).map((r) => r.renewedMs)) + LEASE_MS;
        rows.push(`${tookMs} ms after the cut, ${Date.now() - leaseEnd} ms after the lease ran out`);
        assert.ok(tookMs <= bound, `round ${round}: failover took ${tookMs} ms, bound ${bound} ms`);
        assert.ok(leader.assertLeader() > old, "the new term's token is larger");
        assert.equal(candidates.filter((l) => l.isLeader).length, 1);
      }
      console.log(
        `      ${backend.name} failover (lease ${LEASE_MS} ms, renew ${RENEW_MS} ms, ` +
          `expiryLatencyMs ${watcher.store.capabilities.expiryLatencyMs}): ${rows.join("; ")}`,
      );
    });
  });
}

/** Every lease record of the failover group, as a watcher sees it, until the test closes its store. */
async function follow(store: Store): Promise<ElectionRecord[]> {
  const out: ElectionRecord[] = [];
  const key = kvKeys.election(GROUP);
  const w = store.watch("elections.", { initial: true });
  void (async () => {
    for await (const c of w) {
      const r = c.key === key && c.value ? readElection(c.value, c.revision) : undefined;
      if (r) out.push(r);
    }
  })().catch(() => {}); // ends with E_CLOSED when the test closes the store
  await w.initialized;
  return out;
}

describe("leader election with liveness probes on a real NATS Bus (Redis store)", function () {
  this.timeout(30_000);
  const LONG_LEASE_MS = 10_000;
  let nats: ServerHandle;
  let redis: ServerHandle;
  const open: { close(): Promise<void> }[] = [];
  const candidates: Leadership[] = [];

  before(async () => {
    nats = await startNats();
    redis = await startRedis();
  });
  after(async () => {
    await Promise.all(candidates.map((l) => l.close()));
    for (const o of open.reverse()) await o.close().catch(() => {});
    await redis?.stop();
    await nats?.stop();
  });

  it("replaces a leader whose Bus connection died long before its stored lease runs out", async () => {
    const space = `l-${randomUUID()}`;
    const join = async (id: string) => {
      const bus = await NatsBus.connect({ servers: nats.url, name: id });
      const store = await RedisStore.connect({ url: redis.url, namespace: space });
      open.push(store, bus);
      const l = elect(store, GROUP, id, { leaseMs: LONG_LEASE_MS, renewMs: 2000, liveness: { bus } });
      candidates.push(l);
      return { l, bus };
    };
    const a = await join("a");
    await a.l.waitForLeadership();
    const b = await join("b");
    await new Promise((r) => setTimeout(r, 1500)); // b has seen a's lease and probes it
    assert.ok(a.l.isLeader && !b.l.isLeader);
    const tokenA = a.l.assertLeader();
    const cutAt = Date.now();
    await a.bus.close(); // its process's Bus connection is gone; its Store connection and lease are not
    await b.l.waitForLeadership();
    const tookMs = Date.now() - cutAt;
    console.log(
      `      liveness failover: ${tookMs} ms after the Bus connection closed (lease ${LONG_LEASE_MS} ms)`,
    );
    // Without the probes b waits for the lease: at least LONG_LEASE_MS - renewMs after the cut.
    assert.ok(tookMs < LONG_LEASE_MS / 2, `took over ${tookMs} ms after the cut`);
    assert.ok(b.l.assertLeader() > tokenA, "the new term's token is larger");
    // The deposed leader, still connected to the Store, sees its lease gone and steps down.
    const deadline = Date.now() + 5000;
    while (a.l.isLeader && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    assert.equal(a.l.isLeader, false);
  });
});
