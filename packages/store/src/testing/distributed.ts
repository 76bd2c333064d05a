import assert from "node:assert/strict";
import type { SuiteContext } from "./context.js";
import { bytes, read, rejectsWith, show } from "./helpers.js";

/** Two instances on one backend: the point of a distributed store. */
export function distributedTests(ctx: SuiteContext): void {
  it("shares writes and CAS conflicts between two instances", async () => {
    if (!ctx.store.capabilities.distributed) {
      assert.equal(ctx.fixture.peer, undefined, "a store that is not distributed has no peer");
      return;
    }
    const a = ctx.store;
    const b = await ctx.peer();
    const r1 = await a.put("shared", bytes("from a"));
    assert.equal(await read(b, "shared"), "from a");
    const r2 = await b.update("shared", bytes("from b"), r1);
    await rejectsWith(() => a.update("shared", bytes("stale"), r1), "E_CONFLICT");
    await rejectsWith(() => a.create("shared", bytes("again")), "E_EXISTS");
    assert.equal((await a.get("shared"))?.revision, r2);
    assert.deepEqual(await a.keys(), ["shared"]);
  });

  it("shows one instance's changes and expiries on the other's watch", async () => {
    if (!ctx.store.capabilities.distributed) return;
    const a = ctx.store;
    const b = await ctx.peer();
    const w = await ctx.watch("", {}, b);
    const r1 = await a.put("x", bytes("1"), ctx.store.capabilities.perKeyTtl ? { ttlMs: 200 } : {});
    const got = await w.take(1);
    assert.deepEqual(show(got), [`x put@${r1}=1`]);
    if (!ctx.store.capabilities.perKeyTtl) return;
    const [expire] = await w.take(1, 200 + a.capabilities.expiryLatencyMs + 1000);
    assert.deepEqual([expire?.key, expire?.op], ["x", "expire"]);
    await w.quiet(100); // one expire, however many instances reap
  });
}
