import assert from "node:assert/strict";
import { isSwarmError, kvKeys, type SimulatedClock } from "@swarmlink/protocol";
import type { MemoryStore } from "@swarmlink/store";
import { elect, readElection } from "../../src/election/mod.js";
import type { LeadershipState } from "../../src/types.js";
import { run, runUntil, settle, World } from "./election-helpers.js";

const LEASE = 1000;
const RENEW = 250;
const MARGIN = 100;
const opts = { leaseMs: LEASE, renewMs: RENEW, safetyMarginMs: MARGIN };

describe("leader election on the memory store", () => {
  let world: World;
  let clock: SimulatedClock;
  let store: MemoryStore;
  const candidate = (id: string, group?: string) => world.candidate(id, group);
  const leaders = () => world.leaders();

  beforeEach(() => {
    world = new World(opts);
    clock = world.clock;
    store = world.store;
  });

  afterEach(async () => {
    await world.close();
    assert.equal(clock.pending, 0, "every election timer is cleared on close");
  });

  it("makes exactly one of three candidates the leader, and all agree who", async () => {
    candidate("a");
    candidate("b");
    candidate("c");
    await settle();
    assert.equal(leaders().length, 1);
    const [leader] = leaders();
    for (const l of world.open) {
      assert.equal(l.state().holder, leader!.candidateId);
      assert.equal(l.state().token, leader!.token);
    }
  });

  it("stores the term's token in the lease: the create's own revision, then the number", async () => {
    const { l } = candidate("a");
    await settle();
    const first = await store.get(kvKeys.election("dispatcher"));
    assert.equal(readElection(first!.value, first!.revision)?.token, l.token);
    assert.equal(l.token, first!.revision);
    await run(clock, RENEW);
    const renewed = await store.get(kvKeys.election("dispatcher"));
    assert.ok(renewed!.revision > first!.revision);
    assert.equal(readElection(renewed!.value, 0)?.token, l.token, "the number itself is stored");
  });

  it("keeps one leader and one token through renewals over twenty lease periods", async () => {
    const { l: a } = candidate("a");
    await settle();
    candidate("b");
    const seen: LeadershipState[] = [];
    a.onChange((s) => seen.push(s));
    const token = a.assertLeader();
    await run(clock, 20 * LEASE);
    assert.equal(a.isLeader, true);
    assert.equal(a.assertLeader(), token);
    assert.deepEqual(seen, []);
  });

  it("gives every new term a larger token, after a resignation and after an expiry", async () => {
    const { l: a } = candidate("a");
    await settle();
    const { l: b, proc: pb } = candidate("b");
    const { l: c } = candidate("c");
    const t1 = a.assertLeader();
    await a.resign();
    await settle();
    const second = leaders()[0]!;
    const t2 = second.assertLeader();
    assert.ok(t2 > t1, `${t2} > ${t1}`);
    const third = second === b ? c : b;
    if (second === b)
      pb.pause(); // the second leader crashes; its lease must expire
    else world.procs[2]!.pause();
    const ms = await runUntil(clock, () => third.isLeader, LEASE + RENEW);
    assert.ok(third.assertLeader() > t2, `${third.token} > ${t2} after ${ms} ms`);
  });

  it("elects a new leader within leaseMs + renewMs of the leader's crash", async () => {
    const { l: a, proc } = candidate("a");
    await settle();
    const { l: b } = candidate("b");
    await run(clock, 3 * RENEW + 70); // mid-way between two renewals
    proc.pause(); // crashed: no more renewals, no more replies
    const ms = await runUntil(clock, () => b.isLeader, LEASE + RENEW, 5);
    assert.ok(ms <= LEASE + RENEW, `failover took ${ms} ms`);
    assert.ok(b.assertLeader() > (a.state().token ?? 0));
  });

  it("lets a paused leader see it lost before any of its timers fire, and refuses its token", async () => {
    const { l: a, proc } = candidate("a");
    await settle();
    const { l: b } = candidate("b");
    const old = a.assertLeader();
    proc.pause(); // SIGSTOP
    await runUntil(clock, () => b.isLeader, LEASE + RENEW);
    await run(clock, LEASE); // paused 2.5 leases in all
    assert.ok(proc.heldTimers > 0, "its renew and lapse timers are due but have not run");
    // The first thing it does after SIGCONT, before the event loop gets to any timer:
    assert.equal(a.isLeader, false);
    const err = assertFenced(() => a.assertLeader());
    assert.equal(err.context.group, "dispatcher");
    assert.equal(a.token, undefined);
    proc.resume();
    await settle();
    assert.equal(a.isLeader, false);
    assert.equal(a.state().holder, "b");
    assert.ok(b.assertLeader() > old);
  });

  it("tells observers of every change of holder, token and leadership", async () => {
    const { l: a } = candidate("a");
    await settle();
    const { l: observer } = candidate("o");
    await observer.resign(); // watches without campaigning
    const { l: b } = candidate("b");
    const events: Record<string, LeadershipState[]> = { a: [], o: [], b: [] };
    a.onChange((s) => events.a!.push(s));
    observer.onChange((s) => events.o!.push(s));
    b.onChange((s) => events.b!.push(s));
    const t1 = a.assertLeader();
    await a.resign();
    assert.equal(events.a!.at(-1)?.isLeader, false, "a resigning is told at once");
    await settle();
    const t2 = b.assertLeader();
    const brief = (s: LeadershipState) => [s.holder, s.token, s.isLeader];
    assert.deepEqual(events.o!.map(brief), [
      [undefined, undefined, false],
      ["b", t2, false],
    ]);
    assert.deepEqual(events.a!.map(brief), [
      ["a", t1, false],
      [undefined, undefined, false],
      ["b", t2, false],
    ]);
    assert.deepEqual(events.b!.map(brief).at(-1), ["b", t2, true]);
  });

  it("follows a renewal whose reply was lost, and keeps the term", async () => {
    const { l: a, proc } = candidate("a");
    await settle();
    const token = a.assertLeader();
    proc.failNext("update", "E_UNAVAILABLE", true); // it landed, the reply did not
    await run(clock, 3 * LEASE);
    assert.equal(a.assertLeader(), token);
  });

  it("steps down when renewals keep failing, by its own clock, before the lease runs out in the store", async () => {
    const { l: a, proc } = candidate("a");
    await settle();
    const lost: number[] = [];
    a.onChange((s) => {
      if (!s.isLeader) lost.push(clock.now());
    });
    const acquiredAt = clock.now();
    for (let i = 0; i < 20; i++) proc.failNext("update");
    for (let i = 0; i < 20; i++) proc.failNext("create");
    proc.failNext("delete"); // and it cannot hand the lease back either
    await runUntil(clock, () => !a.isLeader, LEASE, 5);
    assert.ok(lost[0]! - acquiredAt <= LEASE - MARGIN, `stepped down after ${lost[0]! - acquiredAt} ms`);
    assert.ok(await store.get(kvKeys.election("dispatcher")), "the store still holds the lease then");
  });

  it("waits no longer than a lease for a store that stops answering, so close() returns", async () => {
    const { l: a, proc } = candidate("a");
    await settle();
    const { l: b } = candidate("b");
    proc.pause("store"); // the process runs on; its store calls never return
    await runUntil(clock, () => b.isLeader, LEASE + RENEW);
    assert.equal(a.isLeader, false);
    let closed = false;
    const closing = a.close().then(() => {
      closed = true;
    });
    await runUntil(clock, () => closed, 2 * LEASE);
    await closing;
  });

  it("waits for leadership, honours the signal, and refuses to wait after resigning", async () => {
    const { l: a } = candidate("a");
    const { l: b } = candidate("b");
    assert.equal(await a.waitForLeadership(), a.token);
    const ac = new AbortController();
    const waiting = b.waitForLeadership({ signal: ac.signal });
    ac.abort();
    await assert.rejects(waiting, (e) => isSwarmError(e, "E_ABORTED"));
    const next = b.waitForLeadership();
    const first = a.assertLeader();
    await a.close();
    assert.ok((await next) > first);
    await b.resign();
    await assert.rejects(b.waitForLeadership(), (e) => isSwarmError(e, "E_CLOSED"));
  });

  it("hands the lease back on close, so another candidate takes over at once", async () => {
    const { l: a } = candidate("a");
    await settle();
    const { l: b } = candidate("b");
    await a.close();
    await settle();
    assert.equal(b.isLeader, true);
  });

  it("closes when its signal is aborted", async () => {
    const ac = new AbortController();
    const l = elect(store, "dispatcher", "a", { ...opts, clock, signal: ac.signal });
    world.open.push(l);
    await settle();
    assert.equal(l.isLeader, true);
    ac.abort();
    await settle();
    assert.equal(l.isLeader, false);
    assert.equal(await store.get(kvKeys.election("dispatcher")), undefined);
  });

  it("keeps elections of different groups apart", async () => {
    const { l: a } = candidate("a", "g1");
    const { l: b } = candidate("b", "g2");
    await settle();
    assert.equal(a.isLeader && b.isLeader, true);
    assert.notEqual(a.token, b.token);
  });

  it("refuses a malformed group or candidate id with E_INVALID", () => {
    assert.throws(
      () => elect(store, "a.b", "x", opts),
      (e) => isSwarmError(e, "E_INVALID"),
    );
    assert.throws(
      () => elect(store, "g", "x y", opts),
      (e) => isSwarmError(e, "E_INVALID"),
    );
  });
});

function assertFenced(fn: () => unknown) {
  try {
    fn();
  } catch (err) {
    assert.ok(isSwarmError(err, "E_FENCED"), String(err));
    return err;
  }
  assert.fail("expected E_FENCED");
}
