import assert from "node:assert/strict";
import { kvKeys } from "@swarmlink/protocol";
import { elect } from "../../src/election/mod.js";
import { type Registry, SimulatedAgent } from "../../src/registry/mod.js";
import type { PresenceEvent } from "../../src/types.js";
import { advance, until, World } from "./registry-helpers.js";

const TIMING = { suspectAfterMs: 3000, offlineAfterMs: 10_000, sweepIntervalMs: 500 };

/** Presence events heard by a node's index, with the simulated time each was heard. */
function record(w: World, node: Registry): (PresenceEvent & { t: number })[] {
  const seen: (PresenceEvent & { t: number })[] = [];
  node.directory.onPresence((e) => seen.push({ ...e, t: w.clock.now() }));
  return seen;
}

describe("Registry presence", () => {
  let w: World;
  const agents: SimulatedAgent[] = [];
  const agent = (id: string, caps: string[] = []) => {
    const a = new SimulatedAgent(w.bus, { id, capabilities: caps }, { clock: w.clock });
    agents.push(a);
    return a;
  };
  beforeEach(() => {
    w = new World();
  });
  afterEach(async () => {
    for (const a of agents.splice(0)) a.close();
    await w.close();
  });

  it("moves a silent agent online → suspect → offline at the configured timings, events in order", async () => {
    const node = await w.node(TIMING);
    const seen = record(w, node);
    const a = agent("amr-1");
    await a.register();
    a.start();
    await advance(w.clock, 5000);
    a.halt();
    const lastBeat = w.clock.now() - 1000 + 1; // beats fell due every second, the last one ≤ 1 s ago
    await advance(w.clock, 12_000);
    assert.deepEqual(
      seen.map((e) => [e.status, e.epoch, e.seq, e.reason]),
      [
        ["online", 1, 0, "registered"],
        ["suspect", 1, 1, "heartbeat overdue"],
        ["offline", 1, 2, "lease expired"],
      ],
    );
    const [, suspect, offline] = seen;
    const slack = TIMING.sweepIntervalMs + 1100;
    assert.ok(
      suspect!.t - lastBeat >= TIMING.suspectAfterMs - 1000,
      `suspect after ${suspect!.t - lastBeat} ms`,
    );
    assert.ok(
      suspect!.t - lastBeat <= TIMING.suspectAfterMs + slack,
      `suspect after ${suspect!.t - lastBeat} ms`,
    );
    assert.ok(
      offline!.t - lastBeat >= TIMING.offlineAfterMs - 1000,
      `offline after ${offline!.t - lastBeat} ms`,
    );
    assert.ok(
      offline!.t - lastBeat <= TIMING.offlineAfterMs + slack,
      `offline after ${offline!.t - lastBeat} ms`,
    );
    // The agent heard the same story on its presence subject.
    assert.deepEqual(
      a.presences.map((e) => e.status),
      ["online", "suspect", "offline"],
    );
    assert.deepEqual(node.stats().agents, { online: 0, suspect: 0, offline: 1, total: 1 });
  });

  it("keeps heartbeating agents online and writes nothing to the Store per heartbeat", async () => {
    const node = await w.node(TIMING);
    const fleet = Array.from({ length: 50 }, (_, i) => agent(`a${i}`));
    for (const a of fleet) await a.register();
    const revision = (await w.store.get(kvKeys.agent("a49")))!.revision;
    for (const a of fleet) a.start();
    await advance(w.clock, 20_000);
    assert.equal(node.stats().agents.online, 50);
    assert.ok(node.stats().heartbeats >= 50 * 20);
    const newest = Math.max(
      ...(await Promise.all(fleet.map(async (a) => (await w.store.get(kvKeys.agent(a.id)))!.revision))),
    );
    assert.equal(newest, revision, "no record was written since the registrations");
  });

  it("brings a suspect agent back online on its next heartbeat of the current epoch", async () => {
    const node = await w.node(TIMING);
    const a = agent("amr-1");
    await a.register();
    await advance(w.clock, 4000);
    assert.equal(node.directory.get("amr-1")!.status, "suspect");
    a.beat();
    await until(() => node.directory.get("amr-1")!.status === "online");
    const now = node.index.get("amr-1")!; // the index holds the presence reason too
    assert.deepEqual([now.seq, now.reason], [2, "heartbeat resumed"]);
  });

  it("ignores and counts heartbeats of an older epoch: a half-open old connection keeps nobody alive", async () => {
    const node = await w.node(TIMING);
    const a = agent("amr-1");
    await a.register();
    await a.register(); // reconnected: epoch 2; the old connection still beats with epoch 1
    for (let i = 0; i < 5; i++) {
      a.beat(1);
      await advance(w.clock, 1000);
    }
    assert.equal(node.directory.get("amr-1")!.status, "suspect");
    assert.equal(node.directory.get("amr-1")!.epoch, 2);
    assert.equal(node.stats().staleHeartbeats, 5);
    assert.equal(a.reregistrations, 0, "a stale heartbeat is no reason to re-register");
  });

  it("asks an agent it does not know to re-register, and the agent comes back", async () => {
    const node = await w.node(TIMING);
    const a = agent("amr-1", ["lift"]);
    await a.register();
    await w.store.delete(kvKeys.agent("amr-1")); // e.g. the Store lost it
    await until(() => node.directory.size === 0);
    a.beat();
    await until(() => a.reregistrations === 1 && node.directory.get("amr-1")?.status === "online");
    await a.settled();
    assert.equal(a.lastError, undefined);
    const nudge = a.presences.find((e) => e.reason === "re-register")!;
    assert.deepEqual([nudge.status, nudge.epoch, nudge.seq], ["offline", 0, 0]);
    assert.equal(node.stats().reregisterRequests, 1);
    assert.equal(node.stats().unknownHeartbeats, 1);
  });

  it("asks an offline agent that heartbeats again to re-register, once per cooldown", async () => {
    const node = await w.node({ ...TIMING, reregisterCooldownMs: 5000 });
    const a = new SimulatedAgent(w.bus, { id: "amr-1" }, { clock: w.clock, reregister: false });
    agents.push(a);
    await a.register();
    await advance(w.clock, 11_000);
    assert.equal(node.directory.get("amr-1")!.status, "offline");
    for (let i = 0; i < 4; i++) {
      a.beat();
      await advance(w.clock, 1000);
    }
    assert.equal(a.presences.filter((e) => e.reason === "re-register").length, 1);
    const epoch = await a.register();
    assert.equal(epoch, 2);
    assert.equal(node.directory.get("amr-1")!.status, "online");
  });

  it("sweeps only on the authority", async () => {
    let leads = false;
    const n1 = await w.node({ ...TIMING, isAuthority: () => leads });
    const n2 = await w.node({ ...TIMING, isAuthority: () => false });
    const a = agent("amr-1");
    await a.register();
    await advance(w.clock, 20_000);
    assert.equal(n1.directory.get("amr-1")!.status, "online", "nobody leads: nobody judges");
    assert.equal(n2.stats().transitions + n1.stats().transitions, 0);
    leads = true;
    await advance(w.clock, 11_000);
    assert.equal(n1.directory.get("amr-1")!.status, "offline");
    await until(() => n2.directory.get("amr-1")!.status === "offline");
    assert.equal(n2.stats().transitions, 0);
    assert.equal(n1.stats().transitions, 2);
  });

  it("takes its authority from a Leadership: the elected node sweeps, and its successor after it resigns", async () => {
    const l1 = elect(w.store, "coordinator", "n1", { clock: w.clock });
    await until(() => l1.isLeader, w.clock);
    const l2 = elect(w.store, "coordinator", "n2", { clock: w.clock });
    const n1 = await w.node({ ...TIMING, leadership: l1 });
    const n2 = await w.node({ ...TIMING, leadership: l2 });
    const a = agent("amr-1");
    await a.register();
    await advance(w.clock, 4000);
    assert.equal(n1.directory.get("amr-1")!.status, "suspect");
    assert.deepEqual([n1.stats().transitions, n2.stats().transitions], [1, 0]);
    await l1.resign();
    await until(() => l2.isLeader, w.clock);
    await advance(w.clock, TIMING.offlineAfterMs + 1000); // silence counts from the hand-over
    assert.equal(n2.directory.get("amr-1")!.status, "offline");
    assert.deepEqual([n1.stats().transitions, n2.stats().transitions], [1, 1]);
    await l1.close();
    await l2.close();
  });

  it("gives agents one suspectAfterMs of grace after a failover", async () => {
    let first = true;
    const n1 = await w.node({ ...TIMING, isAuthority: () => first });
    const n2 = await w.node({ ...TIMING, isAuthority: () => !first });
    const seen = record(w, n2);
    const a = agent("amr-1");
    await a.register();
    a.start();
    await advance(w.clock, 3000);
    a.halt();
    await advance(w.clock, 2000); // silent for about 2 s when the leader fails
    first = false;
    const failover = w.clock.now();
    await advance(w.clock, 12_000);
    const suspect = seen.find((e) => e.status === "suspect")!;
    assert.ok(
      suspect.t >= failover + TIMING.suspectAfterMs,
      `suspected ${suspect.t - failover} ms after failover`,
    );
    assert.ok(seen.some((e) => e.status === "offline"));
    assert.equal(n1.stats().transitions, 0);
  });

  it("does not take a record's old lastSeen for silence when it starts as the authority", async () => {
    await w.node({ ...TIMING, isAuthority: () => false });
    const a = agent("amr-1");
    await a.register();
    a.start();
    await advance(w.clock, 60_000); // the record's lastSeen stays at registration time
    a.halt();
    const n2 = await w.node(TIMING);
    const started = w.clock.now();
    const seen = record(w, n2);
    await until(() => n2.directory.size === 1);
    await advance(w.clock, 2000);
    assert.equal(n2.directory.get("amr-1")!.status, "online", "unknown lastSeen is not stale");
    await advance(w.clock, 2000);
    const suspect = seen.find((e) => e.status === "suspect")!;
    assert.ok(
      suspect.t >= started + TIMING.suspectAfterMs,
      `suspected ${suspect.t - started} ms after start`,
    );
  });
});
