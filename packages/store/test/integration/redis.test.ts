import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { type ServerHandle, startRedis } from "@swarmlink/harness";
import { isSwarmError } from "@swarmlink/protocol";
import { RedisStore } from "@swarmlink/store";
import { bytes, Reader, read, rejectsWith } from "@swarmlink/store/testing";
import { Redis } from "ioredis";

describe("RedisStore on a private redis-server", () => {
  let redis: ServerHandle;
  const open: RedisStore[] = [];
  const connect = async (opts: Partial<Parameters<typeof RedisStore.connect>[0]> = {}) => {
    const s = await RedisStore.connect({ url: redis.url, namespace: `t-${randomUUID()}`, ...opts });
    open.push(s);
    return s;
  };

  before(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  after(async () => {
    await redis?.stop();
  });

  it("keeps a store's keys under its {namespace} hash tag, deadlines in server time", async () => {
    const store = await connect({ namespace: "tagged" });
    await store.put("a.b", bytes("v"), { ttlMs: 60_000 });
    const raw = new Redis(redis.url);
    try {
      const keys = (await raw.keys("*")).filter((k) => k.includes("tagged")).sort();
      assert.deepEqual(keys, [
        "{tagged}:changes",
        "{tagged}:changes:a",
        "{tagged}:index",
        "{tagged}:leases",
        "{tagged}:rev",
        "{tagged}:v:a.b",
      ]);
      const [sec] = await raw.time();
      const deadline = Number(await raw.zscore("{tagged}:leases", "a.b"));
      assert.ok(Math.abs(deadline - (Number(sec) * 1000 + 60_000)) < 2000, `deadline ${deadline}`);
      assert.ok((await raw.pttl("{tagged}:v:a.b")) > 58_000);
      assert.equal(await raw.xlen("{tagged}:changes"), 1);
      assert.equal(await raw.xlen("{tagged}:changes:a"), 1, "and its segment's stream");
    } finally {
      raw.disconnect();
    }
  });

  it("expires leases through another instance's reaper when its own is off", async () => {
    const ns = `t-${randomUUID()}`;
    const quiet = await connect({ namespace: ns, reapIntervalMs: 0 });
    await connect({ namespace: ns }); // the reaper
    assert.equal(quiet.capabilities.expiryLatencyMs, Number.POSITIVE_INFINITY);
    const w = new Reader(quiet.watch());
    await w.watch.initialized;
    await quiet.put("lease", bytes("v"), { ttlMs: 100 });
    const [, expire] = await w.take(2, 2000);
    assert.equal(expire?.op, "expire");
    w.watch.stop();
  });

  it("uses a given client without closing it, and owns only the watch connection", async () => {
    const client = new Redis(redis.url);
    try {
      const store = await RedisStore.connect({ client, namespace: `t-${randomUUID()}` });
      const w = store.watch();
      await w.initialized;
      await store.put("k", bytes("v"));
      await store.close();
      await w.closed;
      assert.equal(await client.ping(), "PONG");
    } finally {
      client.disconnect();
    }
  });

  it("keeps each key segment's changes in a stream of its own, which a watch of a prefix reads", async () => {
    const namespace = `t-${randomUUID()}`;
    const store = await connect({ namespace });
    const raw = new Redis(redis.url);
    try {
      const agents = new Reader(store.watch("agents."));
      const all = new Reader(store.watch(""));
      await Promise.all([agents.watch.initialized, all.watch.initialized]);
      await store.put("tasks.t1", bytes("1"));
      await store.put("agents.a1", bytes("2"));
      await store.put("tasks.t2", bytes("3"));
      await store.delete("agents.a1");
      assert.deepEqual(
        (await agents.take(2)).map((c) => `${c.op} ${c.key}`),
        ["put agents.a1", "delete agents.a1"],
      );
      assert.equal((await all.take(4)).length, 4);
      const ids = async (stream: string) =>
        (await raw.xrange(stream, "-", "+")).map(([, f]) => f[f.indexOf("k") + 1]);
      assert.deepEqual(await ids(`{${namespace}}:changes:agents`), ["agents.a1", "agents.a1"]);
      assert.deepEqual(await ids(`{${namespace}}:changes:tasks`), ["tasks.t1", "tasks.t2"]);
      assert.equal((await ids(`{${namespace}}:changes`)).length, 4);
      // A late watch of a prefix replays from its segment's stream.
      const late = new Reader(store.watch("tasks.", { fromRevision: 1 }));
      assert.deepEqual(
        (await late.take(2)).map((c) => c.key),
        ["tasks.t1", "tasks.t2"],
      );
      for (const r of [agents, all, late]) r.watch.stop();
    } finally {
      raw.disconnect();
    }
  });

  it("runs the writes asked for in one turn as one script call, each with its own outcome", async () => {
    const namespace = `t-${randomUUID()}`;
    const store = await connect({ namespace });
    const raw = new Redis(redis.url);
    try {
      const a = await store.put("a", bytes("0"));
      const scriptCalls = async () => {
        const stats = await raw.info("commandstats");
        return [...stats.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce(
          (n, m) => n + Number(m[1]),
          0,
        );
      };
      const before = await scriptCalls();
      const outcomes = await Promise.allSettled([
        store.create("b", bytes("1")),
        store.create("b", bytes("2")), // sees the create just before it in the same run
        store.update("a", bytes("3"), a),
        store.update("a", bytes("4"), a), // the update before it moved the revision on
        store.put("c", bytes("5"), { ttlMs: 60_000 }),
      ]);
      assert.equal((await scriptCalls()) - before, 1, "one script call for five writes");
      const [b1, b2, a1, a2, c] = outcomes;
      assert.equal(b1.status, "fulfilled");
      assert.ok(b2.status === "rejected" && isSwarmError(b2.reason, "E_EXISTS"), String(b2));
      assert.equal(a1.status, "fulfilled");
      assert.ok(a2.status === "rejected" && isSwarmError(a2.reason, "E_CONFLICT"), String(a2));
      assert.equal(c.status, "fulfilled");
      const revs = [b1, a1, c].map((o) => (o.status === "fulfilled" ? o.value : 0));
      assert.deepEqual(revs, [a + 1, a + 2, a + 3], "revisions in the order the writes were asked");
      assert.deepEqual(
        [await read(store, "a"), await read(store, "b"), await read(store, "c")],
        ["3", "1", "5"],
      );
      assert.ok((await raw.pttl(`{${namespace}}:v:c`)) > 58_000, "the lease of a batched put");
      // Past the batch limit the writes of one turn take more than one call, and all land.
      const calls0 = await scriptCalls();
      await Promise.all(Array.from({ length: 600 }, (_, i) => store.put(`m.${i}`, bytes(String(i)))));
      assert.equal((await scriptCalls()) - calls0, 3, "600 writes in runs of at most 256");
      assert.equal((await store.keys("m.")).length, 600);
      // A run closes before its packed writes would pass 4 MiB, not after.
      const big = await connect({ namespace, maxValueBytes: 2 * 1024 * 1024 });
      const calls1 = await scriptCalls();
      const mib = (n: number) => new Uint8Array(n * 1024 * 1024);
      await Promise.all([big.put("l.1", mib(1.5)), big.put("l.2", mib(1.5)), big.put("l.3", mib(1.5))]);
      assert.equal((await scriptCalls()) - calls1, 2, "4.5 MiB in one turn: 3 MiB, then 1.5 MiB");
      assert.equal((await big.get("l.3"))?.value.length, 1.5 * 1024 * 1024);
    } finally {
      raw.disconnect();
    }
  });

  it("fails the writes of a run that Redis refuses, each on its own, and lands the others", async () => {
    const namespace = `t-${randomUUID()}`;
    const store = await connect({ namespace });
    const raw = new Redis(redis.url);
    try {
      // A value key of the wrong type: Redis refuses that write's HGET, not the run.
      await raw.set(`{${namespace}}:v:bad`, "not a hash");
      const mixed = await Promise.allSettled([
        store.put("good.1", bytes("1")),
        store.put("bad", bytes("x")),
        store.put("good.2", bytes("2")),
      ]);
      assert.deepEqual(
        mixed.map((o) => o.status),
        ["fulfilled", "rejected", "fulfilled"],
      );
      const refused = (mixed[1] as PromiseRejectedResult).reason;
      assert.ok(isSwarmError(refused, "E_INTERNAL") && /WRONGTYPE/.test(refused.message), String(refused));
      assert.deepEqual([await read(store, "good.1"), await read(store, "good.2")], ["1", "2"]);
      // Out of memory (maxmemory 1 byte, no eviction), Redis refuses every write of the run.
      await raw.config("SET", "maxmemory", "1");
      const run = await Promise.allSettled([store.put("x", bytes("1")), store.create("y", bytes("2"))]);
      for (const o of run) assert.ok(o.status === "rejected" && isSwarmError(o.reason), String(o.status));
      await raw.config("SET", "maxmemory", "0");
      await store.put("after", bytes("ok"));
      assert.deepEqual([await read(store, "x"), await read(store, "after")], [undefined, "ok"]);
    } finally {
      await raw.config("SET", "maxmemory", "0").catch(() => {});
      raw.disconnect();
    }
  });

  it("keeps every value of a run byte for byte, whatever bytes it holds (the run packs them in one argument)", async () => {
    const store = await connect();
    const values = [
      new Uint8Array(0),
      bytes("k 9 put 0 0 3\nabc\n"), // what a write's line looks like
      Uint8Array.from({ length: 256 }, (_, i) => i),
      new Uint8Array(70_000).fill(0x0a),
    ];
    await Promise.all(values.map((v, i) => store.put(`bin.${i}`, v)));
    for (const [i, v] of values.entries()) {
      assert.deepEqual([...((await store.get(`bin.${i}`))?.value ?? [])], [...v], `value ${i}`);
    }
  });

  it("writes the value as it was when put was called, though the run goes out later", async () => {
    const store = await connect();
    const value = bytes("first");
    const written = store.put("k", value);
    value.fill(0x21); // the caller reuses its array within the same turn
    await written;
    assert.equal(await read(store, "k"), "first");
  });

  it("refuses bad options with E_CONFIG naming the field", async () => {
    const client = new Redis(redis.url, { lazyConnect: true, keyPrefix: "p:" });
    const cases: Array<[Parameters<typeof RedisStore.connect>[0], string]> = [
      [{}, "url"],
      [{ url: redis.url, client }, "url"],
      [{ client }, "client"],
      [{ url: redis.url, namespace: "a{b}" }, "namespace"],
      [{ url: redis.url, reapIntervalMs: -1 }, "reapIntervalMs"],
      [{ url: redis.url, historyMaxLen: 0 }, "historyMaxLen"],
      // Redis takes 512 MB in one argument, and a write's value goes in one with its line.
      [{ url: redis.url, maxValueBytes: 512 * 1024 * 1024 }, "maxValueBytes"],
    ];
    for (const [opts, field] of cases) {
      const err = await rejectsWith(() => RedisStore.connect(opts), "E_CONFIG", field);
      assert.equal(err.context.field, field);
    }
    client.disconnect();
  });

  it("gives up a call, or connecting, on a paused server when the signal fires", async () => {
    const store = await connect();
    redis.pause();
    try {
      const t0 = performance.now();
      await rejectsWith(() => store.get("k", { signal: AbortSignal.timeout(200) }), "E_ABORTED");
      assert.ok(performance.now() - t0 < 1000);
      const signal = AbortSignal.timeout(200);
      await rejectsWith(() => RedisStore.connect({ url: redis.url, signal }), "E_ABORTED");
    } finally {
      redis.resume();
    }
    await store.put("k", bytes("v"));
  });

  it("fails with E_UNAVAILABLE when nothing listens", async () => {
    await rejectsWith(() => RedisStore.connect({ url: "redis://127.0.0.1:1" }), "E_UNAVAILABLE");
  });

  it("fails calls and watches with E_UNAVAILABLE while the server is down, and recovers after", async () => {
    const store = await connect();
    const rev = await store.put("k", bytes("1"));
    const w = new Reader(store.watch());
    await w.watch.initialized;
    await redis.kill();
    try {
      const end = await w.end(10_000);
      assert.ok(isSwarmError(end, "E_UNAVAILABLE"), String(end));
      await rejectsWith(() => store.get("k"), "E_UNAVAILABLE");
    } finally {
      await redis.restart();
    }
    // The server came back empty (no persistence): the store works again from scratch.
    const deadline = Date.now() + 10_000;
    let after = 0;
    while (Date.now() < deadline) {
      after = await store.put("k", bytes("2")).catch(() => 0);
      if (after > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(await read(store, "k"), "2");
    // Revisions (and the fencing tokens made from them) never go back, even over lost data.
    assert.ok(after > rev, `revision went back from ${rev} to ${after} after the data was lost`);
    const w2 = new Reader(store.watch("", { fromRevision: 1 }));
    assert.equal((await w2.take(1))[0]?.key, "k");
    w2.watch.stop();
  });
});
