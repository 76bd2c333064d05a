import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type NatsServer, startNats } from "@swarmlink/harness";
import { NatsKvStore, type NatsKvStoreOptions } from "@swarmlink/store";
import { bytes, Reader, read, rejectsWith, show, sleep, text } from "@swarmlink/store/testing";

describe("NatsKvStore on a private nats-server 2.9", () => {
  let nats: NatsServer;
  let nc: NatsConnection;
  const open: NatsKvStore[] = [];
  const store = async (opts: Partial<NatsKvStoreOptions> = {}) => {
    const s = await NatsKvStore.connect({ servers: nats.url, bucket: `t-${randomUUID()}`, ...opts });
    open.push(s);
    return s;
  };

  before(async () => {
    nats = await startNats();
    nc = await connect({ servers: nats.url });
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  after(async () => {
    await nc?.close();
    await nats?.stop();
  });

  it("keeps values raw and markers standard, so any NATS KV client reads the bucket", async () => {
    const bucket = `t-${randomUUID()}`;
    const s = await store({ bucket });
    const kv = await new Kvm(nc).open(bucket);
    const rev = await s.put("a.b", bytes("hello"), { ttlMs: 150 });
    const e = await kv.get("a.b");
    assert.deepEqual([e?.string(), e?.revision, e?.operation], ["hello", rev, "PUT"]);
    await kv.put("from.kv", "plain");
    assert.equal(await read(s, "from.kv"), "plain");
    await sleep(150 + s.capabilities.expiryLatencyMs + 200);
    assert.equal((await kv.get("a.b"))?.operation, "DEL");
  });

  it("refuses an update on a lapsed lease even before any reaper has run", async () => {
    const s = await store({ reapIntervalMs: 0 });
    const w = new Reader(s.watch());
    await w.watch.initialized;
    const r1 = await s.put("lease", bytes("1"), { ttlMs: 100 });
    await sleep(200);
    await rejectsWith(() => s.update("lease", bytes("late"), r1), "E_CONFLICT");
    await rejectsWith(() => s.delete("lease", { expectedRevision: r1 }), "E_CONFLICT");
    const r3 = await s.create("lease", bytes("2"));
    const got = await w.take(3);
    assert.deepEqual(show(got), [`lease put@${r1}=1`, `lease expire@${r1 + 1}`, `lease put@${r3}=2`]);
  });

  it("clamps maxValueBytes under the server's max_payload, leaving room for headers", async () => {
    assert.equal((await store()).capabilities.maxValueBytes, 1024 * 1024 - 1024);
    assert.equal((await store({ maxValueBytes: 1000 })).capabilities.maxValueBytes, 1000);
  });

  it("uses a given connection without closing it", async () => {
    const s = await NatsKvStore.connect({ connection: nc, bucket: `t-${randomUUID()}` });
    await s.put("k", bytes("v"));
    await s.close();
    assert.equal(nc.isClosed(), false);
  });

  it("refuses bad options with E_CONFIG naming the field", async () => {
    const cases: Array<[NatsKvStoreOptions, string]> = [
      [{}, "servers"],
      [{ servers: nats.url, connection: nc }, "servers"],
      [{ servers: nats.url, bucket: "a.b" }, "bucket"],
      [{ servers: nats.url, history: 65 }, "history"],
      [{ servers: nats.url, replicas: 2 }, "replicas"],
      [{ servers: nats.url, reapIntervalMs: 1.5 }, "reapIntervalMs"],
    ];
    for (const [opts, field] of cases) {
      const err = await rejectsWith(() => NatsKvStore.connect(opts), "E_CONFIG", field);
      assert.equal(err.context.field, field);
    }
  });

  it("gives up a call, or connecting, on a paused server when the signal fires", async () => {
    const s = await store();
    nats.pause();
    try {
      const t0 = performance.now();
      await rejectsWith(() => s.put("k", bytes("v"), { signal: AbortSignal.timeout(200) }), "E_ABORTED");
      assert.ok(performance.now() - t0 < 1000);
      const signal = AbortSignal.timeout(200);
      await rejectsWith(() => NatsKvStore.connect({ servers: nats.url, signal }), "E_ABORTED");
    } finally {
      nats.resume();
    }
    await s.put("k", bytes("v"));
  });

  it("fails with E_UNAVAILABLE when nothing listens", async () => {
    await rejectsWith(() => NatsKvStore.connect({ servers: "nats://127.0.0.1:1" }), "E_UNAVAILABLE");
  });

  it("keeps a watch going through a server restart", async function () {
    this.timeout(20_000);
    const s = await store();
    const w = new Reader(s.watch("", { initial: true }));
    await w.watch.initialized;
    await s.put("before", bytes("1"));
    await w.take(1);
    await nats.kill();
    await nats.restart();
    let rev = 0;
    for (const deadline = Date.now() + 10_000; !rev && Date.now() < deadline; ) {
      rev = await s.put("after", bytes("2")).catch(() => 0);
    }
    const [c] = await w.take(1, 10_000);
    assert.deepEqual([c?.key, text(c?.value), c?.revision], ["after", "2", rev]);
  });
});
