import assert from "node:assert/strict";
import { isSwarmError, SwarmError } from "@swarmlink/protocol";
import type { Change } from "../types.js";
import type { SuiteContext } from "./context.js";
import { bytes, Reader, rejectsWith, show } from "./helpers.js";

function increasing(changes: Change[]): void {
  for (let i = 1; i < changes.length; i++) {
    assert.ok(changes[i]!.revision > changes[i - 1]!.revision, `out of order: ${show(changes).join(", ")}`);
  }
}

/** The change feed: order, prefix, replay, snapshot, and how a watch ends. */
export function watchTests(ctx: SuiteContext): void {
  it("yields every change in revision order while many writers race", async () => {
    const w = await ctx.watch("w.");
    const writers = 8;
    const each = 12;
    const revs = (
      await Promise.all(
        Array.from({ length: writers }, async (_, i) => {
          const mine: number[] = [];
          for (let j = 0; j < each; j++)
            mine.push(await ctx.store.put(`w.${i}.${j % 3}`, bytes(`${i}:${j}`)));
          return mine;
        }),
      )
    ).flat();
    const changes = await w.take(writers * each);
    increasing(changes);
    assert.deepEqual(
      changes.map((c) => c.revision),
      revs.sort((a, b) => a - b),
    );
    await w.quiet(50);
  });

  it("yields only keys under its prefix, with values and ops", async () => {
    const w = await ctx.watch("in.");
    await ctx.store.put("out.a", bytes("x"));
    const r1 = await ctx.store.put("in.a", bytes("1"));
    await ctx.store.put("inside", bytes("x"));
    const r2 = await ctx.store.put("in.b.c", bytes("2"));
    await ctx.store.delete("in.a");
    const got = await w.take(3);
    assert.deepEqual(show(got).slice(0, 2), [`in.a put@${r1}=1`, `in.b.c put@${r2}=2`]);
    assert.deepEqual([got[2]!.key, got[2]!.op], ["in.a", "delete"]);
    await w.quiet(50);
  });

  it("replays exactly the changes from fromRevision, then live ones", async () => {
    if (!ctx.store.capabilities.watchReplay) return;
    await ctx.store.put("r.a", bytes("0"));
    const from = await ctx.store.put("r.b", bytes("1"));
    const r2 = await ctx.store.put("r.a", bytes("2"));
    await ctx.store.put("other", bytes("x"));
    await ctx.store.delete("r.b");
    const w = await ctx.watch("r.", { fromRevision: from });
    const replayed = await w.take(3);
    assert.deepEqual(show(replayed).slice(0, 2), [`r.b put@${from}=1`, `r.a put@${r2}=2`]);
    assert.deepEqual([replayed[2]!.key, replayed[2]!.op], ["r.b", "delete"]);
    const r5 = await ctx.store.put("r.c", bytes("5"));
    assert.deepEqual(show(await w.take(1)), [`r.c put@${r5}=5`]);
    await w.quiet(50);
  });

  it("resumes from a revision it has not reached yet by waiting for it", async () => {
    if (!ctx.store.capabilities.watchReplay) return;
    const now = await ctx.store.put("q.a", bytes("0"));
    const w = await ctx.watch("q.", { fromRevision: now + 3 });
    await ctx.store.put("q.b", bytes("1"));
    await ctx.store.put("q.c", bytes("2"));
    const third = await ctx.store.put("q.d", bytes("3"));
    assert.deepEqual(show(await w.take(1)), [`q.d put@${third}=3`]);
  });

  it("yields the current entries first with initial, then later changes", async () => {
    const ra = await ctx.store.put("s.a", bytes("a"));
    await ctx.store.put("s.gone", bytes("x"));
    await ctx.store.delete("s.gone");
    const rb = await ctx.store.put("s.b", bytes("b"));
    await ctx.store.put("t.x", bytes("x"));
    const w = await ctx.watch("s.", { initial: true });
    assert.deepEqual(show(await w.take(2)), [`s.a put@${ra}=a`, `s.b put@${rb}=b`]);
    const rc = await ctx.store.put("s.c", bytes("c"));
    assert.deepEqual(show(await w.take(1)), [`s.c put@${rc}=c`]);
  });

  it("is initialized at once with initial on an empty prefix", async () => {
    const w = await ctx.watch("empty.", { initial: true });
    const r = await ctx.store.put("empty.a", bytes("1"));
    assert.deepEqual(show(await w.take(1)), [`empty.a put@${r}=1`]);
  });

  it("stops on abort: iteration throws E_ABORTED and closed resolves", async () => {
    const ac = new AbortController();
    const w = await ctx.watch("", { signal: ac.signal });
    await ctx.store.put("a", bytes("1"));
    await w.take(1);
    ac.abort();
    const end = await w.end();
    assert.ok(isSwarmError(end, "E_ABORTED"), String(end));
    await w.watch.closed;
  });

  it("ends with the signal's reason when that is a SwarmError", async () => {
    const ac = new AbortController();
    const w = await ctx.watch("", { signal: ac.signal });
    ac.abort(new SwarmError("E_TIMEOUT", "deadline"));
    const end = await w.end();
    assert.ok(isSwarmError(end, "E_TIMEOUT"), String(end));
  });

  it("does not start when its signal has already aborted", async () => {
    const w = new Reader(ctx.store.watch("", { signal: AbortSignal.abort() }));
    assert.ok(isSwarmError(await w.end(), "E_ABORTED"));
    await w.watch.closed;
  });

  it("stops on break from for await, and on stop()", async () => {
    const w1 = ctx.store.watch();
    const w2 = ctx.store.watch();
    await Promise.all([w1.initialized, w2.initialized]);
    await ctx.store.put("a", bytes("1"));
    for await (const c of w1) {
      assert.equal(c.key, "a");
      break;
    }
    await w1.closed;
    w2.stop();
    assert.equal(await new Reader(w2).end(), "done");
    await w2.closed;
    await ctx.store.put("b", bytes("2")); // nobody left to tell; must not throw
  });

  it("feeds several watches independently", async () => {
    const a = await ctx.watch();
    const b = await ctx.watch();
    const r = await ctx.store.put("k", bytes("v"));
    a.watch.stop();
    assert.deepEqual(show(await b.take(1)), [`k put@${r}=v`]);
  });

  it("refuses a bad prefix, and fromRevision with initial, with E_INVALID", async () => {
    for (const p of ["a", ".", "a..", "*.", "a.>."])
      await rejectsWith(() => ctx.store.watch(p), "E_INVALID", p);
    await rejectsWith(() => ctx.store.watch("", { fromRevision: 0 }), "E_INVALID");
    await rejectsWith(() => ctx.store.watch("", { fromRevision: 1, initial: true }), "E_INVALID");
  });
}
