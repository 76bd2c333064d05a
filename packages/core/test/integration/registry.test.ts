import assert from "node:assert/strict";
import { type NatsServer, type ServerHandle, startNats, startRedis } from "@swarmlink/harness";
import { NatsKvStore, RedisStore, type Store } from "@swarmlink/store";
import { NatsBus } from "@swarmlink/transport";
import { queryAgents, Registry, SimulatedAgent } from "../../src/registry/mod.js";
import { until } from "../unit/registry-helpers.js";

const TIMING = { suspectAfterMs: 1000, offlineAfterMs: 2500, sweepIntervalMs: 100 };
const AGENTS = 24;

/** Both nodes' view of every agent, as comparable strings. */
function view(r: Registry): string[] {
  return [...r.index.agents()].map((a) => `${a.id}:${a.status}@${a.epoch}/${a.seq}`).sort();
}

for (const storeKind of ["redis", "nats-kv"] as const) {
  describe(`Registry on NATS + ${storeKind}, two nodes`, function () {
    this.timeout(60_000);
    let nats: NatsServer;
    let redis: ServerHandle | undefined;
    const open: { close(): Promise<void> }[] = [];
    const agents: SimulatedAgent[] = [];
    const nodes: Registry[] = [];
    let authority = 1;

    async function openStore(): Promise<Store> {
      const ns = `reg-${process.pid}`;
      const store =
        storeKind === "redis"
          ? await RedisStore.connect({ url: redis!.url, namespace: ns })
          : await NatsKvStore.connect({ servers: nats.url, bucket: ns });
      open.push(store);
      return store;
    }

    before(async () => {
      nats = await startNats();
      if (storeKind === "redis") redis = await startRedis();
    });

    after(async () => {
      for (const a of agents) a.close();
      for (const n of nodes) await n.stop();
      for (const o of open.reverse()) await o.close();
      await redis?.stop();
      await nats?.stop();
    });

    it("serves agents registered through either node, keeps both indexes in agreement, and hands presence authority over", async () => {
      const buses: NatsBus[] = [];
      for (const n of [1, 2]) {
        const bus = await NatsBus.connect({ servers: nats.url, name: `node-${n}` });
        open.push(bus);
        buses.push(bus);
        const node = new Registry({
          bus,
          store: await openStore(),
          nodeId: `n${n}`,
          isAuthority: () => authority === n,
          ...TIMING,
        });
        nodes.push(node);
        await node.start();
      }
      const [n1, n2] = nodes as [Registry, Registry];
      const agentBuses = [
        await NatsBus.connect({ servers: nats.url }),
        await NatsBus.connect({ servers: nats.url }),
      ];
      open.push(...agentBuses);
      for (let i = 0; i < AGENTS; i++) {
        const caps = i % 3 === 0 ? ["lift", "camera"] : ["lift"];
        const a = new SimulatedAgent(
          agentBuses[i % 2]!,
          { id: `amr-${i}`, capabilities: caps, position: { cartesian: { x: i * 5, y: 0 } } },
          { heartbeatIntervalMs: 200 },
        );
        agents.push(a);
        assert.equal(await a.register(), 1);
        a.start();
      }
      await until(() => n1.directory.size === AGENTS && n2.directory.size === AGENTS, undefined, 20_000);
      await until(() => view(n1).join() === view(n2).join(), undefined, 20_000);
      const viaBus = await queryAgents(buses[1]!, {
        capabilities: ["camera"],
        nearest: { x: 0, y: 0, k: 3 },
      });
      assert.deepEqual(
        viaBus.map((a) => a.descriptor!.id),
        ["amr-0", "amr-3", "amr-6"],
      );

      // The authority (n1) judges a silent agent; both nodes see the same story.
      agents[1]!.halt();
      await until(() => n2.directory.get("amr-1")?.status === "offline", undefined, 20_000);
      assert.equal(n1.directory.get("amr-1")!.status, "offline");
      assert.ok(n1.stats().transitions >= 2);
      assert.equal(n2.stats().transitions, 0, "only the authority writes presence");

      // Authority moves to n2 (the election's job; here a flip), and n2 judges the next one, from
      // online: on a starved machine a late heartbeat can leave amr-2 suspect for a moment, and n2
      // would then write only its last step.
      await until(
        () =>
          n1.directory.get("amr-2")?.status === "online" && n2.directory.get("amr-2")?.status === "online",
        undefined,
        20_000,
      );
      authority = 2;
      const byN1 = n1.stats().transitions;
      const byN2 = n2.stats().transitions;
      agents[2]!.halt();
      await until(() => n1.directory.get("amr-2")?.status === "offline", undefined, 20_000);
      assert.equal(n1.stats().transitions, byN1, "the old authority writes nothing more");
      assert.ok(n2.stats().transitions - byN2 >= 2, "the new authority writes suspect, then offline");

      // A re-registration (a reconnect) through the other connection opens epoch 2 everywhere.
      assert.equal(await agents[1]!.register(), 2);
      agents[1]!.start();
      await until(
        () => n1.directory.get("amr-1")?.status === "online" && n1.directory.get("amr-1")?.epoch === 2,
      );
      await until(() => view(n1).join() === view(n2).join(), undefined, 20_000);
      assert.equal(n1.stats().agents.online, AGENTS - 1);
      assert.equal(n1.stats().failures + n2.stats().failures, 0);
      assert.equal(n1.stats().badInputs + n2.stats().badInputs, 0);
    });
  });
}
