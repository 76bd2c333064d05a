import assert from "node:assert/strict";
import { isSwarmError, type SimulatedClock } from "@swarmlink/protocol";
import type { MemoryStore } from "@swarmlink/store";
import fc from "fast-check";
import {
  decodeFenced,
  encodeFenced,
  FENCED_HEADER_BYTES,
  FencedStore,
  TokenFence,
} from "../../src/election/mod.js";
import { runUntil, settle, World } from "./election-helpers.js";

const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | undefined) => b && new TextDecoder().decode(b);
const fenced = (e: unknown) => isSwarmError(e, "E_FENCED");

describe("TokenFence", () => {
  it("accepts the same or a newer token and refuses an older one with E_FENCED", () => {
    const fence = new TokenFence();
    fence.check("dispatcher", 5);
    fence.check("dispatcher", 5);
    fence.check("dispatcher", 9);
    assert.throws(
      () => fence.check("dispatcher", 7),
      (e) =>
        fenced(e) && e.context.highest === 9 && e.context.token === 7 && e.context.group === "dispatcher",
    );
    assert.equal(fence.highest("dispatcher"), 9);
  });

  it("keeps groups apart", () => {
    const fence = new TokenFence();
    fence.check("g1", 100);
    fence.check("g2", 3);
    assert.equal(fence.highest("g2"), 3);
  });

  it("raises the bar on observe without checking, and never lowers it", () => {
    const fence = new TokenFence();
    fence.observe("g", 10);
    fence.observe("g", 4);
    assert.equal(fence.highest("g"), 10);
    assert.throws(() => fence.check("g", 9), fenced);
  });

  it("refuses malformed tokens and groups with E_INVALID", () => {
    const fence = new TokenFence();
    for (const t of [0, -1, 1.5, Number.NaN, 2 ** 53]) {
      assert.throws(
        () => fence.check("g", t),
        (e) => isSwarmError(e, "E_INVALID"),
        String(t),
      );
    }
    assert.throws(
      () => fence.check("a.b", 1),
      (e) => isSwarmError(e, "E_INVALID"),
    );
  });
});

describe("the fenced record header", () => {
  it("round-trips any token and payload", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), fc.uint8Array(), (token, payload) => {
        const enc = encodeFenced(token, payload);
        assert.equal(enc.length, FENCED_HEADER_BYTES + payload.length);
        const dec = decodeFenced(enc);
        assert.equal(dec.token, token);
        assert.deepEqual([...dec.payload], [...payload]);
      }),
    );
  });

  it("refuses any bytes without a valid header with E_DECODE, and nothing else", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        try {
          decodeFenced(b);
        } catch (err) {
          assert.ok(isSwarmError(err, "E_DECODE"), String(err));
        }
      }),
    );
    assert.throws(
      () => decodeFenced(bytes("plain json")),
      (e) => isSwarmError(e, "E_DECODE"),
    );
  });
});

describe("FencedStore", () => {
  let world: World;
  let clock: SimulatedClock;
  let store: MemoryStore;
  const candidate = (id: string) => {
    const { l, proc } = world.candidate(id);
    return { l, proc, fenced: new FencedStore(proc.store, l) };
  };
  /** A leader that still believes in `token` (as one paused between its checks and its write would). */
  const believer = (token: number) =>
    new FencedStore(store, { group: "dispatcher", assertLeader: () => token });
  /** "a" leads, then closes; "b" leads. Returns a's old token and b. */
  const handOver = async () => {
    const a = candidate("a");
    await settle();
    const old = a.l.assertLeader();
    await a.l.close();
    const b = candidate("b");
    await settle();
    return { old, b };
  };

  beforeEach(() => {
    world = new World({ leaseMs: 1000, renewMs: 250 });
    clock = world.clock;
    store = world.store;
  });
  afterEach(() => world.close());

  it("stamps the current leader's writes with its token", async () => {
    const { l, fenced: fs } = candidate("a");
    await settle();
    const rev = await fs.put("tasks.t1", bytes("assigned"));
    const rec = await fs.get("tasks.t1");
    assert.deepEqual(
      { value: text(rec?.value), token: rec?.token, revision: rec?.revision },
      { value: "assigned", token: l.token, revision: rev },
    );
  });

  it("refuses a paused leader's late write with E_FENCED and leaves the record alone", async () => {
    const a = candidate("a");
    await settle();
    await a.fenced.put("tasks.t1", bytes("by a"));
    const b = candidate("b");
    a.proc.pause();
    await runUntil(clock, () => b.l.isLeader, 1250);
    await b.fenced.put("tasks.t1", bytes("by b"));
    await runUntil(clock, () => false, 1500).catch(() => {});
    a.proc.resume();
    await assert.rejects(a.fenced.put("tasks.t1", bytes("late a")), fenced);
    assert.equal(text((await b.fenced.get("tasks.t1"))?.value), "by b");
  });

  it("refuses a write once a newer term began, though the writer still trusts its lease", async () => {
    const { old, b } = await handOver();
    await assert.rejects(
      believer(old).put("tasks.t2", bytes("late")),
      (e) => fenced(e) && e.context.token === old && e.context.current === b.l.token,
    );
    assert.equal(await store.get("tasks.t2"), undefined);
  });

  it("refuses to overwrite or delete a record written under a newer term", async () => {
    const { old, b } = await handOver();
    await b.fenced.put("tasks.t3", bytes("by b"));
    await assert.rejects(
      believer(old).put("tasks.t3", bytes("late")),
      (e) => fenced(e) && e.context.current === b.l.token,
    );
    await assert.rejects(believer(old).delete("tasks.t3"), fenced);
    assert.equal(text((await b.fenced.get("tasks.t3"))?.value), "by b");
    await b.fenced.delete("tasks.t3");
    assert.equal(await store.get("tasks.t3"), undefined);
  });

  it("retries a write that met a concurrent change, giving mutate the newer record", async () => {
    const a = candidate("a");
    await settle();
    await a.fenced.put("counter.c", bytes("1"));
    const seen: (string | undefined)[] = [];
    await a.fenced.write("counter.c", (cur) => {
      seen.push(text(cur?.value));
      // Another writer of the same term lands first (MemoryStore writes synchronously on call).
      if (seen.length === 1) void store.put("counter.c", encodeFenced(a.l.assertLeader(), bytes("5")));
      return bytes(String(Number(text(cur?.value)) + 1));
    });
    assert.deepEqual(seen, ["1", "5"]);
    assert.equal(text((await a.fenced.get("counter.c"))?.value), "6");
  });

  it("trusts a known revision on the first try, and still refuses a record a newer term rewrote", async () => {
    const { old, b } = await handOver();
    const stale = believer(old);
    // The deposed leader knew the record at this revision; the new leader has rewritten it since.
    const known = await store.put("tasks.t4", encodeFenced(old, bytes("by old")));
    await b.fenced.put("tasks.t4", bytes("by b"));
    await assert.rejects(stale.put("tasks.t4", bytes("late"), { knownRevision: known }), fenced);
    // The current leader writes on its known revision in one step, and fails over to a read when stale.
    const rev = await b.fenced.put("tasks.t4", bytes("again"), {
      knownRevision: (await b.fenced.get("tasks.t4"))!.revision,
    });
    assert.equal(text((await b.fenced.get("tasks.t4"))?.value), "again");
    const seen: (number | undefined)[] = [];
    await b.fenced.write(
      "tasks.t4",
      (cur) => {
        seen.push(cur?.revision);
        return bytes("newest");
      },
      {
        knownRevision: rev - 1,
      },
    );
    assert.deepEqual(seen, [rev - 1, rev], "a stale known revision is retried with a fresh read");
    assert.equal(text((await b.fenced.get("tasks.t4"))?.value), "newest");
  });

  it("shares one election-key read among writes made at the same time", async () => {
    const a = candidate("a");
    await settle();
    let reads = 0;
    const get = store.get.bind(store);
    store.get = (key, opts) => {
      if (key.startsWith("elections.")) reads++;
      return get(key, opts);
    };
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => a.fenced.put(`tasks.s${i}`, bytes("x"), { knownRevision: 0 })),
    );
    assert.ok(reads < 20, `20 concurrent writes made ${reads} election reads`);
    assert.ok(reads >= 1);
  });

  it("gives up with E_ABORTED when the caller's signal has fired", async () => {
    const a = candidate("a");
    await settle();
    const signal = AbortSignal.abort();
    await assert.rejects(a.fenced.put("tasks.t4", bytes("x"), { signal }), (e) =>
      isSwarmError(e, "E_ABORTED"),
    );
    assert.equal(await store.get("tasks.t4"), undefined);
  });

  it("refuses a record that no fenced writer wrote with E_DECODE", async () => {
    const a = candidate("a");
    await settle();
    await store.put("tasks.raw", bytes("{}"));
    await assert.rejects(a.fenced.put("tasks.raw", bytes("x")), (e) => isSwarmError(e, "E_DECODE"));
  });
});
