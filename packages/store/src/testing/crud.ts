import assert from "node:assert/strict";
import type { SuiteContext } from "./context.js";
import { bytes, read, rejectsWith, text } from "./helpers.js";

/** get, put, create, delete, keys. */
export function crudTests(ctx: SuiteContext): void {
  it("returns undefined for a key never written", async () => {
    assert.equal(await ctx.store.get("never.written"), undefined);
  });

  it("returns what put wrote, with the revision put returned", async () => {
    const rev = await ctx.store.put("a.b", bytes("hello"));
    assert.ok(Number.isSafeInteger(rev) && rev > 0, `revision ${rev}`);
    const e = await ctx.store.get("a.b");
    assert.deepEqual(e && { key: e.key, value: text(e.value), revision: e.revision }, {
      key: "a.b",
      value: "hello",
      revision: rev,
    });
  });

  it("stores bytes exactly, the empty value included", async () => {
    const all = new Uint8Array(256).map((_, i) => i);
    await ctx.store.put("bin", all);
    await ctx.store.put("empty", new Uint8Array(0));
    assert.deepEqual((await ctx.store.get("bin"))?.value, all);
    assert.deepEqual((await ctx.store.get("empty"))?.value, new Uint8Array(0));
  });

  it("copies values: changing the caller's buffer afterwards changes nothing", async () => {
    const v = bytes("abc");
    await ctx.store.put("k", v);
    v[0] = 0x7a;
    assert.equal(await read(ctx.store, "k"), "abc");
    const got = (await ctx.store.get("k"))!.value;
    got[0] = 0x7a;
    assert.equal(await read(ctx.store, "k"), "abc");
  });

  it("gives one increasing revision sequence across keys", async () => {
    const r1 = await ctx.store.put("x", bytes("1"));
    const r2 = await ctx.store.put("y", bytes("2"));
    const r3 = await ctx.store.put("x", bytes("3"));
    await ctx.store.delete("y");
    const r4 = await ctx.store.put("z", bytes("4"));
    assert.ok(r1 < r2 && r2 < r3 && r3 < r4, `${[r1, r2, r3, r4]}`);
    assert.equal((await ctx.store.get("x"))?.revision, r3);
  });

  it("creates an absent key and refuses an existing one with E_EXISTS", async () => {
    const rev = await ctx.store.create("c", bytes("first"));
    await rejectsWith(() => ctx.store.create("c", bytes("second")), "E_EXISTS");
    assert.deepEqual(await ctx.store.get("c").then((e) => e && [text(e.value), e.revision]), ["first", rev]);
  });

  it("creates a key that was deleted", async () => {
    await ctx.store.put("d", bytes("old"));
    await ctx.store.delete("d");
    assert.equal(await ctx.store.get("d"), undefined);
    await ctx.store.create("d", bytes("new"));
    assert.equal(await read(ctx.store, "d"), "new");
  });

  it("deletes a key, and deleting a missing key is a quiet no-op", async () => {
    await ctx.store.put("gone", bytes("v"));
    const w = await ctx.watch();
    await ctx.store.delete("gone");
    await ctx.store.delete("never.there");
    await ctx.store.put("after", bytes("v"));
    const changes = await w.take(2);
    assert.deepEqual(
      changes.map((c) => [c.key, c.op]),
      [
        ["gone", "delete"],
        ["after", "put"],
      ],
    );
    assert.equal(await ctx.store.get("gone"), undefined);
  });

  it("lists live keys under a prefix, sorted", async () => {
    for (const k of ["a.b.c", "a.b", "a.x", "ab", "b.a", "a.deleted"]) await ctx.store.put(k, bytes(k));
    await ctx.store.delete("a.deleted");
    assert.deepEqual(await ctx.store.keys(), ["a.b", "a.b.c", "a.x", "ab", "b.a"]);
    assert.deepEqual(await ctx.store.keys("a."), ["a.b", "a.b.c", "a.x"]);
    assert.deepEqual(await ctx.store.keys("a.b."), ["a.b.c"]);
    assert.deepEqual(await ctx.store.keys("none."), []);
  });
}
