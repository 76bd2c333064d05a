import assert from "node:assert/strict";
import type { SuiteContext } from "./context.js";
import { bytes, eventually, read, rejectsWith, show, sleep } from "./helpers.js";

/** Time allowed beyond `ttl + expiryLatencyMs` for scheduling and round trips, in ms. */
const SLACK_MS = 500;

/** Keys with a TTL (leases). The waits are real: the suite runs on every backend. */
export function ttlTests(ctx: SuiteContext): void {
  it("refuses a TTL with E_UNSUPPORTED when perKeyTtl is false", async () => {
    if (ctx.store.capabilities.perKeyTtl) return;
    await rejectsWith(() => ctx.store.put("lease", bytes("v"), { ttlMs: 1000 }), "E_UNSUPPORTED");
  });

  it("expires a key with ttlMs 300 within ttl + expiryLatencyMs, and watchers see expire", async () => {
    if (!ctx.store.capabilities.perKeyTtl) return;
    const bound = 300 + ctx.store.capabilities.expiryLatencyMs + SLACK_MS;
    const w = await ctx.watch("lease.");
    const start = performance.now();
    const rev = await ctx.store.put("lease.a", bytes("v"), { ttlMs: 300 });
    assert.equal(await read(ctx.store, "lease.a"), "v");
    const [put, expire] = await w.take(2, bound + 1000);
    const took = performance.now() - start;
    assert.deepEqual(show([put!]), [`lease.a put@${rev}=v`]);
    assert.equal(expire?.op, "expire");
    assert.equal(expire?.key, "lease.a");
    assert.ok(expire!.revision > rev);
    assert.ok(took >= 290, `expired after ${took.toFixed(0)} ms, before its TTL`);
    assert.ok(took <= bound, `expired after ${took.toFixed(0)} ms, bound ${bound}`);
    assert.equal(await ctx.store.get("lease.a"), undefined);
  });

  it("treats an expired key as absent for get, keys and create", async () => {
    if (!ctx.store.capabilities.perKeyTtl) return;
    await ctx.store.put("t.k", bytes("old"), { ttlMs: 150 });
    await ctx.store.put("t.other", bytes("stays"));
    // Read as soon as the deadline passes, before any reaper need have run.
    await eventually(async () => (await ctx.store.get("t.k")) === undefined, 150 + SLACK_MS, "get absent");
    assert.deepEqual(await ctx.store.keys("t."), ["t.other"]);
    const rev = await ctx.store.create("t.k", bytes("new"));
    assert.equal((await ctx.store.get("t.k"))?.revision, rev);
    assert.equal(await read(ctx.store, "t.k"), "new");
  });

  it("renews the lease on update with ttlMs", async () => {
    if (!ctx.store.capabilities.perKeyTtl) return;
    const r1 = await ctx.store.create("lease", bytes("1"), { ttlMs: 500 });
    await sleep(300);
    await ctx.store.update("lease", bytes("2"), r1, { ttlMs: 500 });
    await sleep(350); // past the first deadline, before the second
    assert.equal(await read(ctx.store, "lease"), "2");
    const latency = ctx.store.capabilities.expiryLatencyMs;
    await eventually(
      async () => (await ctx.store.get("lease")) === undefined,
      150 + latency + SLACK_MS,
      "gone",
    );
  });

  it("makes a key permanent when it is written again without ttlMs", async () => {
    if (!ctx.store.capabilities.perKeyTtl) return;
    await ctx.store.put("p", bytes("1"), { ttlMs: 150 });
    const w = await ctx.watch();
    await ctx.store.put("p", bytes("2"));
    await sleep(150 + ctx.store.capabilities.expiryLatencyMs + 100);
    assert.equal(await read(ctx.store, "p"), "2");
    await w.take(1);
    await w.quiet(50);
  });

  it("tells watchers a lapsed lease expired before a put overwrites it", async () => {
    if (!ctx.store.capabilities.perKeyTtl) return;
    const w = await ctx.watch();
    const r1 = await ctx.store.put("o", bytes("1"), { ttlMs: 100 });
    await sleep(150);
    const r3 = await ctx.store.put("o", bytes("2"));
    const got = await w.take(3);
    assert.deepEqual(
      got.map((c) => [c.op, c.revision]),
      [
        ["put", r1],
        ["expire", got[1]!.revision],
        ["put", r3],
      ],
    );
    assert.ok(r1 < got[1]!.revision && got[1]!.revision < r3);
  });

  it("fires no expire for a leased key deleted before its deadline", async () => {
    if (!ctx.store.capabilities.perKeyTtl) return;
    const w = await ctx.watch();
    await ctx.store.put("d", bytes("1"), { ttlMs: 150 });
    await ctx.store.delete("d");
    const got = await w.take(2);
    assert.deepEqual(
      got.map((c) => c.op),
      ["put", "delete"],
    );
    await w.quiet(150 + ctx.store.capabilities.expiryLatencyMs + 100);
  });
}
