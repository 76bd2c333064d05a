import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { SwarmNode } from "@swarmlink/core";
import { type NatsServer, type ServerHandle, startNats, startRedis } from "@swarmlink/harness";
import { TaskState } from "@swarmlink/protocol";
import { RedisStore } from "@swarmlink/store";
import { NatsBus } from "@swarmlink/transport";
import { connect, type Swarm } from "../../src/mod.js";
import { sleep, waitUntil } from "../helpers.js";

describe("the SDK over real NATS with a Redis store", () => {
  let nats: NatsServer;
  let redis: ServerHandle;
  let nodeBus: NatsBus;
  let store: RedisStore;
  let node: SwarmNode;
  let swarm: Swarm | undefined;

  before(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
  });
  after(async () => {
    await Promise.all([nats?.stop(), redis?.stop()]);
  });
  beforeEach(async () => {
    nodeBus = await NatsBus.connect({ servers: nats.url, reconnectTimeWaitMs: 100 });
    store = await RedisStore.connect({ url: redis.url, namespace: `sdk${Date.now()}` });
    node = await SwarmNode.start({ bus: nodeBus, store, nodeId: "n1", leaseMs: 600, renewMs: 150 });
    await waitUntil(() => node.leadership.isLeader, 10_000, "the node to lead");
  });
  afterEach(async () => {
    await swarm?.close();
    swarm = undefined;
    await node.stop();
    await store.close();
    await nodeBus.close();
  });

  it("comes back after a NATS restart with a new epoch, and loses no acknowledged task", async () => {
    swarm = await connect({ servers: nats.url, name: "it" });
    const agent = await swarm.agent({
      id: "amr-r",
      capabilities: ["pick"],
      credits: 1,
      heartbeatIntervalMs: 200,
    });
    const first = agent.epoch;
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const ran: string[] = [];
    agent.onTask("pick", async (task) => {
      ran.push(task.id);
      if (ran.length === 1) await gate;
      return { ok: task.id };
    });
    const a = await swarm.tasks.submit({ kind: "pick", capabilities: ["pick"], idempotencyKey: "before-1" });
    await waitUntil(() => ran.length === 1, 10_000, "the first task to start");
    const b = await swarm.tasks.submit({ kind: "pick", capabilities: ["pick"], idempotencyKey: "before-2" });

    await nats.restart();
    await waitUntil(() => agent.epoch > first, 20_000, "a re-registration after the reconnect");
    release();
    const done = async (id: string) =>
      (await swarm!.tasks.get(id).catch(() => undefined))?.state === TaskState.TASK_STATE_SUCCEEDED;
    await waitUntil(async () => (await done(a.id)) && (await done(b.id)), 25_000, "both tasks to succeed");
    assert.deepEqual(ran, [a.id, b.id]);
    const [info] = await swarm.agents.query({ status: "online" });
    assert.equal(info?.descriptor?.id, "amr-r");
    assert.equal(Number(info?.presence?.epoch), agent.epoch);
    assert.ok(agent.epoch > first);
  });

  it("keeps telemetry memory bounded while the server is stalled, and counts the drops", async () => {
    swarm = await connect({ servers: nats.url, name: "bp" });
    const agent = await swarm.agent({ id: "amr-bp", telemetryCapacity: 128 });
    await sleep(50);
    // A collection before each reading, so what is measured is what is kept, not garbage.
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const mem = () => {
      gc();
      const m = process.memoryUsage();
      return m.heapUsed + m.arrayBuffers;
    };
    await nats.pause();
    try {
      const before = mem();
      let maxSize = 0;
      let peak = 0;
      for (let i = 0; i < 100_000; i++) {
        agent.telemetry("pose", { x: i, y: i, headingDeg: 90 }, { conflate: true });
        agent.telemetry("diag", { i, note: "x".repeat(64) });
        if (i % 10_000 === 0) {
          const s = agent.telemetryStats();
          maxSize = Math.max(maxSize, s.queued.size, s.conflated.size);
          peak = Math.max(peak, mem() - before);
          await sleep(0);
        }
      }
      const s = agent.telemetryStats();
      assert.ok(maxSize <= 128, `a buffer held ${maxSize}`);
      assert.ok(s.queued.dropped >= 99_000, `drops: ${s.queued.dropped}`);
      assert.ok(s.conflated.dropped >= 99_000, `conflations: ${s.conflated.dropped}`);
      // 200,000 samples of ~150 bytes kept would be ≥ 30 MB; the buffers hold 256.
      console.log(
        `      retained growth ${(peak / 1048576).toFixed(2)} MiB; sent ${s.sent}, dropped ${s.queued.dropped}+${s.conflated.dropped}`,
      );
      assert.ok(peak < 8 * 1024 * 1024, `memory grew by ${(peak / 1048576).toFixed(1)} MiB`);
    } finally {
      await nats.resume();
    }
  });

  it("elects one of two agents over a NATS KV store opened by the Swarm", async () => {
    swarm = await connect({ servers: nats.url, name: "el" });
    const a = await swarm.agent({ id: "amr-ea" });
    const b = await swarm.agent({ id: "amr-eb" });
    const la = await a.elect("formation", { leaseMs: 1000, renewMs: 250 });
    await la.waitForLeadership();
    const lb = await b.elect("formation", { leaseMs: 1000, renewMs: 250 });
    assert.ok(la.isLeader && !lb.isLeader);
    await la.resign();
    await lb.waitForLeadership();
    assert.ok(lb.isLeader && !la.isLeader && (lb.token ?? 0) > 0);
  });
});
