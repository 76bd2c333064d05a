import assert from "node:assert/strict";
import { isSwarmError } from "@swarmlink/protocol";
import type { SuiteContext } from "./context.js";
import { bytes, Reader, read, rejectsWith } from "./helpers.js";

const BAD_KEYS = ["", ".a", "a.", "a..b", "a b", "a*", "a.>", "ü", "a\n", "x".repeat(257)];

/** Bad input and the closed store. */
export function limitTests(ctx: SuiteContext): void {
  it("refuses malformed keys with E_INVALID on every call", async () => {
    const s = ctx.store;
    for (const k of BAD_KEYS) {
      await rejectsWith(() => s.get(k), "E_INVALID", `get ${k}`);
      await rejectsWith(() => s.put(k, bytes("v")), "E_INVALID", `put ${k}`);
      await rejectsWith(() => s.create(k, bytes("v")), "E_INVALID", `create ${k}`);
      await rejectsWith(() => s.update(k, bytes("v"), 1), "E_INVALID", `update ${k}`);
      await rejectsWith(() => s.delete(k), "E_INVALID", `delete ${k}`);
    }
    await rejectsWith(() => s.keys("a"), "E_INVALID", "keys a");
    await rejectsWith(() => s.keys("a..b."), "E_INVALID", "keys a..b.");
  });

  it("accepts every allowed character, and keys of 256 characters", async () => {
    const keys = ["Az09_=/-.seg", "k".repeat(256), `${"a.".repeat(127)}bc`];
    for (const k of keys) await ctx.store.put(k, bytes(k));
    for (const k of keys) assert.equal(await read(ctx.store, k), k);
  });

  it("refuses bad TTLs and revisions with E_INVALID", async () => {
    const s = ctx.store;
    for (const ttlMs of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      await rejectsWith(() => s.put("k", bytes("v"), { ttlMs }), "E_INVALID", `ttlMs ${ttlMs}`);
    }
    for (const rev of [0, -1, 1.5, Number.NaN]) {
      await rejectsWith(() => s.update("k", bytes("v"), rev), "E_INVALID", `update ${rev}`);
      await rejectsWith(() => s.delete("k", { expectedRevision: rev }), "E_INVALID", `delete ${rev}`);
    }
    assert.equal(await s.get("k"), undefined);
  });

  it("accepts a value of maxValueBytes and refuses one byte more with E_TOO_LARGE", async () => {
    const max = ctx.store.capabilities.maxValueBytes;
    assert.ok(Number.isSafeInteger(max) && max > 0, `maxValueBytes ${max}`);
    const big = new Uint8Array(max).fill(7);
    const rev = await ctx.store.put("big", big);
    assert.equal((await ctx.store.get("big"))?.value.byteLength, max);
    const err = await rejectsWith(() => ctx.store.put("big", new Uint8Array(max + 1)), "E_TOO_LARGE");
    assert.equal(err.context.maxValueBytes, max);
    await rejectsWith(() => ctx.store.create("big2", new Uint8Array(max + 1)), "E_TOO_LARGE");
    await rejectsWith(() => ctx.store.update("big", new Uint8Array(max + 1), rev), "E_TOO_LARGE");
  });

  it("rejects calls whose signal has fired with E_ABORTED, before anything else, writing nothing", async () => {
    const s = ctx.store;
    const signal = AbortSignal.abort();
    const opts = { signal };
    await rejectsWith(() => s.get("k", opts), "E_ABORTED", "get");
    await rejectsWith(() => s.put("k", bytes("v"), opts), "E_ABORTED", "put");
    await rejectsWith(() => s.create("k", bytes("v"), opts), "E_ABORTED", "create");
    await rejectsWith(() => s.update("k", bytes("v"), 1, opts), "E_ABORTED", "update");
    await rejectsWith(() => s.delete("k", opts), "E_ABORTED", "delete");
    await rejectsWith(() => s.keys("", opts), "E_ABORTED", "keys");
    await rejectsWith(() => s.put("bad key", bytes("v"), opts), "E_ABORTED", "checked first");
    assert.deepEqual(await s.keys(), []);
    const live = new AbortController().signal;
    const rev = await s.put("k", bytes("v"), { signal: live, ttlMs: 60_000 });
    assert.equal((await s.get("k", { signal: live }))?.revision, rev);
    await s.update("k", bytes("w"), rev, { signal: live });
    assert.deepEqual(await s.keys("", { signal: live }), ["k"]);
    await s.delete("k", { signal: live });
  });

  it("rejects every call with E_CLOSED once closed, and ends its watches with E_CLOSED", async () => {
    const s = ctx.store;
    await s.put("k", bytes("v"));
    const w = await ctx.watch();
    await s.close();
    assert.equal(await s.closed(), undefined);
    const end = await w.end();
    assert.ok(isSwarmError(end, "E_CLOSED"), String(end));
    await rejectsWith(() => s.get("k"), "E_CLOSED");
    await rejectsWith(() => s.put("k", bytes("v")), "E_CLOSED");
    await rejectsWith(() => s.create("k2", bytes("v")), "E_CLOSED");
    await rejectsWith(() => s.update("k", bytes("v"), 1), "E_CLOSED");
    await rejectsWith(() => s.delete("k"), "E_CLOSED");
    await rejectsWith(() => s.keys(), "E_CLOSED");
    await rejectsWith(() => s.watch(), "E_CLOSED");
    await s.close(); // twice is fine
  });

  it("resolves closed() with the error given to close(err)", async () => {
    const reason = new Error("shutting down");
    await ctx.store.close(reason);
    assert.equal(await ctx.store.closed(), reason);
  });

  it("says what it can do in capabilities", () => {
    const c = ctx.store.capabilities;
    assert.equal(typeof ctx.store.name, "string");
    for (const f of ["perKeyTtl", "watchReplay", "distributed"] as const)
      assert.equal(typeof c[f], "boolean", f);
    assert.ok(c.expiryLatencyMs >= 0);
    new Reader(ctx.store.watch()).watch.stop();
  });
}
