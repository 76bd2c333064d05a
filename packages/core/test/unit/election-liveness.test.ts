import assert from "node:assert/strict";
import { kvKeys, type SimulatedClock } from "@swarmlink/protocol";
import type { Change, Store, Watch } from "@swarmlink/store";
import { elect } from "../../src/election/mod.js";
import type { Leadership } from "../../src/types.js";
import { run, runUntil, settle, World } from "./election-helpers.js";

const LEASE = 1000;
const RENEW = 250;
const MARGIN = 100;
const PROBE = 50;

describe("leader election: a dead leader found before its lease runs out (liveness probes)", () => {
  let world: World;
  let clock: SimulatedClock;

  beforeEach(() => {
    world = new World({
      leaseMs: LEASE,
      renewMs: RENEW,
      safetyMarginMs: MARGIN,
      liveness: { probeMs: PROBE },
    });
    clock = world.clock;
  });

  afterEach(async () => {
    await world.close();
    assert.equal(clock.pending, 0, "every election and probe timer is cleared on close");
  });

  async function leaderAndFollower() {
    const a = world.candidate("a");
    await settle();
    assert.ok(a.l.isLeader);
    const b = world.candidate("b");
    await run(clock, 3 * RENEW + 70); // mid-way between two renewals
    assert.ok(a.l.isLeader && !b.l.isLeader);
    return { a, b };
  }

  it("replaces a crashed leader (its Bus subscription gone) within a few probes, not a lease", async () => {
    const { a, b } = await leaderAndFollower();
    const old = a.l.state().token ?? 0;
    a.proc.crash();
    const ms = await runUntil(clock, () => b.l.isLeader, LEASE, 5);
    // Two probes that find nobody (≤ 2 · PROBE + one to start), then a delete and a create.
    assert.ok(ms <= 3 * PROBE + 20, `took over ${ms} ms after the crash`);
    assert.ok(b.l.assertLeader() > old);
  });

  it("keeps a paused leader's lease until it runs out: silence proves nothing", async () => {
    const { a, b } = await leaderAndFollower();
    a.proc.pause(); // SIGSTOP: subscribed, but answers nothing
    const ms = await runUntil(clock, () => b.l.isLeader, LEASE + RENEW, 5);
    // The last renewal was ≤ 70 ms before the pause: the lease ends ≥ LEASE - 70 ms after it.
    assert.ok(ms >= LEASE - 70 - 5, `took over ${ms} ms after the pause, before the lease ran out`);
  });

  it("leaves a live leader alone through many probes", async () => {
    const { a, b } = await leaderAndFollower();
    const token = a.l.state().token;
    await run(clock, 20 * LEASE, 25);
    assert.ok(a.l.isLeader && !b.l.isLeader);
    assert.equal(a.l.state().token, token);
  });

  it("does not campaign while its own Bus is down: a cut-off leader, once deposed, never wins back", async () => {
    const { a, b } = await leaderAndFollower();
    a.proc.cutBus(); // its process and its Store go on; it cannot hear the swarm
    await runUntil(clock, () => b.l.isLeader, LEASE, 5);
    await b.l.resign(); // the lease is free: only a is left to take it, and it must not
    await run(clock, 3 * LEASE, 10);
    assert.equal(a.l.isLeader, false, "a leader that cannot hear the swarm");
  });

  it("deposes a holder that answers it no longer holds the term (its lease lapsed by its clock)", async () => {
    world = new World({ leaseMs: LEASE, renewMs: RENEW, safetyMarginMs: 400, liveness: { probeMs: PROBE } });
    clock = world.clock;
    const a = world.candidate("a");
    await settle();
    const b = world.candidate("b");
    await run(clock, 2 * RENEW + 10);
    const renewedAt = clock.now() - 10;
    a.proc.pause("store"); // its store stops answering; the process runs on and answers probes
    await runUntil(clock, () => b.l.isLeader, LEASE, 5);
    assert.ok(!a.l.isLeader);
    // The stored lease would have lasted until renewedAt + LEASE; b did not wait for it.
    assert.ok(clock.now() < renewedAt + LEASE - 100, `b took over at +${clock.now() - renewedAt} ms`);
  });
});

describe("leader election: a waiting candidate tries when the lease should have run out", () => {
  it("takes over within a few ms of the expiry even when the store is slow to report it", async () => {
    // Without liveness probes, and with a store whose watch never reports deletions and expiries
    // (as a reaper that runs late), only a poll finds the lease gone.
    const world = new World({ leaseMs: LEASE, renewMs: RENEW, safetyMarginMs: MARGIN });
    const { clock } = world;
    const quiet = putsOnly(world.store);
    const open: Leadership[] = [];
    try {
      const a = world.candidate("a");
      await settle();
      await run(clock, 130, 10); // b's polls fall 130 ms after a's renewals
      const b = elect(quiet, "dispatcher", "b", { leaseMs: LEASE, renewMs: RENEW, clock });
      open.push(b);
      await run(clock, 3 * RENEW + 40, 10); // 170 ms after a renewal, 80 before the next
      a.proc.pause();
      const ms = await runUntil(clock, () => b.isLeader, LEASE + RENEW, 1);
      // The lease ends LEASE - 170 ms from the pause; polling every RENEW would take up to RENEW more.
      assert.ok(ms <= LEASE - 170 + 15, `took over ${ms} ms after the pause`);
      assert.equal((await world.store.get(kvKeys.election("dispatcher")))?.revision, b.token);
    } finally {
      await Promise.all(open.map((l) => l.close()));
      await world.close();
    }
  });
});

/** `store`, whose watches report only puts. */
function putsOnly(store: Store): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop !== "watch") {
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v; // its methods use private fields
      }
      return (...args: Parameters<Store["watch"]>): Watch => {
        const inner = target.watch(...args);
        return {
          initialized: inner.initialized,
          closed: inner.closed,
          stop: () => inner.stop(),
          async *[Symbol.asyncIterator](): AsyncIterator<Change> {
            for await (const c of inner) if (c.op === "put") yield c;
          },
        };
      };
    },
  });
}
