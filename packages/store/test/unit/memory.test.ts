import assert from "node:assert/strict";
import { isSwarmError, SimulatedClock } from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { bytes, Reader, read, rejectsWith, show } from "@swarmlink/store/testing";

describe("MemoryStore with a SimulatedClock", () => {
  let clock: SimulatedClock;
  let store: MemoryStore;

  beforeEach(() => {
    clock = new SimulatedClock(1_000_000);
    store = new MemoryStore({ clock });
  });

  afterEach(() => store.close());

  it("expires a lease exactly at its deadline, with one expire change", async () => {
    const w = store.watch();
    const rev = await store.put("lease", bytes("v"), { ttlMs: 1000 });
    clock.advance(999);
    assert.equal(await read(store, "lease"), "v");
    clock.advance(1);
    const changes = await new Reader(w).take(2, 100);
    assert.deepEqual(show(changes), [`lease put@${rev}=v`, `lease expire@${rev + 1}`]);
    assert.equal(await store.get("lease"), undefined);
    assert.equal(clock.pending, 0);
  });

  it("moves the deadline when the lease is renewed", async () => {
    const r1 = await store.create("lease", bytes("1"), { ttlMs: 1000 });
    clock.advance(800);
    await store.update("lease", bytes("2"), r1, { ttlMs: 1000 });
    clock.advance(900);
    assert.equal(await read(store, "lease"), "2");
    clock.advance(100);
    assert.equal(await store.get("lease"), undefined);
    assert.equal(clock.pending, 0, "the first lease's timer was cleared");
  });

  it("lets create take an expired key at once", async () => {
    await store.put("k", bytes("old"), { ttlMs: 10 });
    clock.advance(10);
    const rev = await store.create("k", bytes("new"));
    assert.equal((await store.get("k"))?.revision, rev);
  });

  it("replays only the changes its history still holds", async () => {
    const small = new MemoryStore({ clock, historyLimit: 3 });
    for (let i = 1; i <= 5; i++) await small.put(`k${i}`, bytes(String(i)));
    const w = new Reader(small.watch("", { fromRevision: 1 }));
    assert.deepEqual(
      (await w.take(3, 100)).map((c) => c.revision),
      [3, 4, 5],
    );
    await w.quiet(20);
    await small.close();
  });

  it("fails a watch that falls watchQueueLimit behind with E_OVERFLOW, after what it holds", async () => {
    const tight = new MemoryStore({ clock, watchQueueLimit: 3 });
    const w = new Reader(tight.watch());
    for (let i = 1; i <= 5; i++) await tight.put("k", bytes(String(i)));
    assert.deepEqual(
      (await w.take(3, 100)).map((c) => c.revision),
      [1, 2, 3],
    );
    const end = await w.end();
    assert.ok(isSwarmError(end, "E_OVERFLOW"), String(end));
    assert.equal(end.context.lastRevision, 3);
    await tight.close();
  });

  it("clears its timers on close", async () => {
    await store.put("a", bytes("1"), { ttlMs: 1000 });
    await store.put("b", bytes("1"), { ttlMs: 2000 });
    await store.close();
    assert.equal(clock.pending, 0);
  });

  it("refuses bad options with E_CONFIG naming the field", async () => {
    for (const opts of [{ historyLimit: -1 }, { maxValueBytes: 1.5 }, { watchQueueLimit: 0 }]) {
      const err = await rejectsWith(() => new MemoryStore(opts), "E_CONFIG");
      assert.equal(err.context.field, Object.keys(opts)[0]);
    }
  });

  it("declares itself not distributed, with its own maxValueBytes", () => {
    const s = new MemoryStore({ maxValueBytes: 10 });
    assert.deepEqual(
      { ...s.capabilities },
      { perKeyTtl: true, watchReplay: true, expiryLatencyMs: 20, distributed: false, maxValueBytes: 10 },
    );
  });
});
