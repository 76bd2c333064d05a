import assert from "node:assert/strict";
import { isSwarmError } from "@swarmlink/protocol";
import type { Store } from "../types.js";
import type { SuiteContext } from "./context.js";
import { bytes, read, rejectsWith, text } from "./helpers.js";

/** Adds one to the counter at `key` with get + update, retrying on E_CONFLICT. */
async function increment(store: Store, key: string): Promise<number> {
  for (let attempt = 1; ; attempt++) {
    const e = await store.get(key);
    const next = bytes(String(Number(text(e?.value) ?? "0") + 1));
    try {
      return e ? await store.update(key, next, e.revision) : await store.create(key, next);
    } catch (err) {
      if (!isSwarmError(err, "E_CONFLICT", "E_EXISTS") || attempt > 1000) throw err;
    }
  }
}

/** Compare-and-set: update and conditional delete. */
export function casTests(ctx: SuiteContext): void {
  it("updates at the current revision and returns a newer one", async () => {
    const r1 = await ctx.store.put("k", bytes("1"));
    const r2 = await ctx.store.update("k", bytes("2"), r1);
    assert.ok(r2 > r1);
    assert.equal((await ctx.store.get("k"))?.revision, r2);
    assert.equal(await read(ctx.store, "k"), "2");
  });

  it("refuses an update at a stale revision with E_CONFLICT and keeps the value", async () => {
    const r1 = await ctx.store.put("k", bytes("1"));
    await ctx.store.put("k", bytes("2"));
    const err = await rejectsWith(() => ctx.store.update("k", bytes("3"), r1), "E_CONFLICT");
    assert.equal(err.context.key, "k");
    assert.equal(await read(ctx.store, "k"), "2");
  });

  it("refuses an update of a missing or deleted key with E_CONFLICT", async () => {
    await rejectsWith(() => ctx.store.update("missing", bytes("x"), 1), "E_CONFLICT");
    const r = await ctx.store.put("k", bytes("1"));
    await ctx.store.delete("k");
    await rejectsWith(() => ctx.store.update("k", bytes("x"), r), "E_CONFLICT");
    assert.equal(await ctx.store.get("k"), undefined);
  });

  it("deletes only at the expected revision", async () => {
    const r1 = await ctx.store.put("k", bytes("1"));
    const r2 = await ctx.store.put("k", bytes("2"));
    await rejectsWith(() => ctx.store.delete("k", { expectedRevision: r1 }), "E_CONFLICT");
    assert.equal(await read(ctx.store, "k"), "2");
    await ctx.store.delete("k", { expectedRevision: r2 });
    assert.equal(await ctx.store.get("k"), undefined);
    await rejectsWith(() => ctx.store.delete("k", { expectedRevision: r2 }), "E_CONFLICT");
  });

  it("lets exactly one of many concurrent updates at one revision win", async () => {
    const rev = await ctx.store.put("race", bytes("start"));
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => ctx.store.update("race", bytes(`w${i}`), rev)),
    );
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    assert.equal(won.length, 1);
    for (const r of lost) assert.ok(isSwarmError(r.reason, "E_CONFLICT"), String(r.reason));
  });

  it("lets exactly one of many concurrent creates win", async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => ctx.store.create("once", bytes(`c${i}`))),
    );
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    for (const r of results) {
      if (r.status === "rejected") assert.ok(isSwarmError(r.reason, "E_EXISTS"), String(r.reason));
    }
  });

  it("loses no increment when concurrent clients count with get + update", async () => {
    const clients = 4;
    const each = 15;
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = 0; i < each; i++) await increment(ctx.store, "counter");
      }),
    );
    assert.equal(await read(ctx.store, "counter"), String(clients * each));
  });
}
