import assert from "node:assert/strict";
import { BoundedQueue } from "@swarmlink/transport";
import { rejectsWith } from "@swarmlink/transport/testing";

const drain = <T>(q: BoundedQueue<T>): T[] => {
  const out: T[] = [];
  for (let v = q.poll(); v !== undefined; v = q.poll()) out.push(v);
  return out;
};

describe("BoundedQueue", () => {
  it("drop-oldest keeps the newest items and counts what it dropped", () => {
    const q = new BoundedQueue<number>({ capacity: 3, policy: "drop-oldest" });
    for (let i = 0; i < 10; i++) assert.equal(q.offer(i), true);
    assert.deepEqual(drain(q), [7, 8, 9]);
    assert.equal(q.stats().dropped, 7);
    assert.equal(q.stats().highWater, 3);
  });

  it("drop-newest refuses items once full and keeps the oldest", () => {
    const q = new BoundedQueue<number>({ capacity: 3, policy: "drop-newest" });
    const accepted = [...Array(10).keys()].map((i) => q.offer(i));
    assert.deepEqual(accepted, [true, true, true, false, false, false, false, false, false, false]);
    assert.deepEqual(drain(q), [0, 1, 2]);
    assert.equal(q.stats().dropped, 7);
  });

  it("error refuses an item with E_OVERFLOW once full", async () => {
    const q = new BoundedQueue<number>({ capacity: 2, policy: "error" });
    q.offer(1);
    q.offer(2);
    await rejectsWith(() => q.offer(3), "E_OVERFLOW");
    assert.deepEqual(drain(q), [1, 2]);
  });

  it("conflate keeps the newest value per key in first-arrival order", () => {
    const q = new BoundedQueue<{ id: string; v: number }>({
      capacity: 10,
      policy: "conflate",
      key: (x) => x.id,
    });
    for (let v = 0; v < 50; v++) for (const id of ["r1", "r2", "r3"]) q.offer({ id, v });
    assert.equal(q.size, 3);
    assert.deepEqual(drain(q), [
      { id: "r1", v: 49 },
      { id: "r2", v: 49 },
      { id: "r3", v: 49 },
    ]);
    assert.equal(q.stats().dropped, 147);
  });

  it("conflate drops the oldest key when a new key arrives and it is full", () => {
    const q = new BoundedQueue<{ id: string }>({ capacity: 2, policy: "conflate", key: (x) => x.id });
    for (const id of ["a", "b", "c"]) q.offer({ id });
    assert.deepEqual(
      drain(q).map((x) => x.id),
      ["b", "c"],
    );
  });

  it("block makes the producer wait for room, then admits it in order", async () => {
    const q = new BoundedQueue<number>({ capacity: 2, policy: "block" });
    await q.push(1);
    await q.push(2);
    let third = false;
    const p = q.push(3).then(() => {
      third = true;
    });
    await new Promise((r) => setImmediate(r));
    assert.equal(third, false, "push did not wait while full");
    assert.equal(q.stats().blocked, 1);
    assert.equal(await q.take(), 1);
    await p;
    assert.equal(third, true);
    assert.deepEqual(drain(q), [2, 3]);
    assert.equal(q.stats().dropped, 0);
    assert.equal(q.stats().highWater, 2);
  });

  it("block releases a waiting producer with E_ABORTED when its signal fires", async () => {
    const q = new BoundedQueue<number>({ capacity: 1, policy: "block" });
    await q.push(1);
    const ac = new AbortController();
    const p = q.push(2, { signal: ac.signal });
    ac.abort();
    await rejectsWith(p, "E_ABORTED");
    assert.deepEqual(drain(q), [1]);
  });

  it("hands an item straight to a waiting taker", async () => {
    const q = new BoundedQueue<string>({ capacity: 1, policy: "drop-newest" });
    const t = q.take();
    q.offer("x");
    assert.equal(await t, "x");
    assert.equal(q.size, 0);
  });

  it("close ends iteration after what is queued and releases waiters with E_CLOSED", async () => {
    const q = new BoundedQueue<number>({ capacity: 4, policy: "block" });
    q.offer(1);
    q.offer(2);
    q.close();
    const seen: number[] = [];
    for await (const v of q) seen.push(v);
    assert.deepEqual(seen, [1, 2]);
    await rejectsWith(q.take(), "E_CLOSED");
    await rejectsWith(q.push(3), "E_CLOSED");
  });

  it("rejects a capacity below 1 and conflate without a key with E_CONFIG", async () => {
    await rejectsWith(() => new BoundedQueue({ capacity: 0, policy: "block" }), "E_CONFIG");
    await rejectsWith(() => new BoundedQueue({ capacity: 2, policy: "conflate" }), "E_CONFIG");
  });

  it("never holds more than its capacity, whatever the producer does", () => {
    for (const policy of ["drop-oldest", "drop-newest", "block"] as const) {
      const q = new BoundedQueue<number>({ capacity: 100, policy });
      for (let i = 0; i < 100_000; i++) q.offer(i);
      assert.equal(q.size, 100);
      assert.equal(q.stats().highWater, 100);
    }
  });
});
