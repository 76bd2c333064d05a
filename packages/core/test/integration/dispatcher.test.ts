import assert from "node:assert/strict";
import { type ServerHandle, startNats, startRedis } from "@swarmlink/harness";
import { kvKeys, systemClock, TaskState } from "@swarmlink/protocol";
import { RedisStore } from "@swarmlink/store";
import { NatsBus } from "@swarmlink/transport";
import { Dispatcher, decodeRecord } from "../../src/dispatcher/mod.js";
import { decodeFenced, elect } from "../../src/election/mod.js";
import { TaskClient } from "../../src/tasks/mod.js";
import type { Leadership } from "../../src/types.js";
import { FakeDirectory, SimAgent } from "../unit/dispatcher-helpers.js";

const TASKS = 500;
const AGENTS = 10;

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("Dispatcher on real NATS (JetStream) and Redis", function () {
  this.timeout(60_000);
  let nats: ServerHandle;
  let redis: ServerHandle;
  let closers: (() => Promise<unknown>)[] = [];

  before(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
  });
  after(async () => {
    await Promise.all([nats?.stop(), redis?.stop()]);
  });
  afterEach(async () => {
    for (const close of closers.reverse()) await close();
    closers = [];
  });

  it(`runs ${TASKS} tasks submitted twice on ${AGENTS} agents: all succeed, none lost, none run twice`, async () => {
    const coreBus = await NatsBus.connect({ servers: nats.url });
    closers.push(() => coreBus.close());
    const edgeBus = await NatsBus.connect({ servers: nats.url });
    closers.push(() => edgeBus.close());
    const store = await RedisStore.connect({ url: redis.url, namespace: "dispatch500" });
    closers.push(() => store.close());
    const directory = new FakeDirectory();
    const agents: SimAgent[] = [];
    for (let i = 0; i < AGENTS; i++) {
      directory.add({ id: `amr-${i}`, credits: 5, capabilities: ["pick"], position: { x: i, y: 0 } });
      agents.push(new SimAgent({ bus: edgeBus, clock: systemClock, id: `amr-${i}`, workMs: 20 }));
    }
    closers.push(async () => {
      for (const a of agents) a.close();
    });
    const leadership: Leadership = elect(store, "dispatcher", "node-a", { leaseMs: 3000, renewMs: 500 });
    closers.push(() => leadership.close());
    await leadership.waitForLeadership();
    const d = new Dispatcher({ bus: coreBus, store, directory, leadership, coordinatorId: "node-a" });
    closers.push(() => d.stop());
    await d.start();
    await until(() => d.leading, 5000, "takeover");

    const client = new TaskClient({ bus: edgeBus });
    const started = Date.now();
    const ids = await Promise.all(
      [...Array(TASKS)].map(
        async (_, i) =>
          (await client.submit({ kind: "pick", capabilities: ["pick"], idempotencyKey: `order-${i}` })).id,
      ),
    );
    const again = await Promise.all(
      [...Array(TASKS)].map((_, i) =>
        client.submit({ kind: "pick", capabilities: ["pick"], idempotencyKey: `order-${i}` }),
      ),
    );
    assert.deepEqual(
      again.map((r) => r.id),
      ids,
    );
    assert.ok(
      again.every((r) => r.duplicate),
      "the stream recognised every repeat",
    );
    await until(() => (d.stats().finished.SUCCEEDED ?? 0) === TASKS, 45_000, "all tasks succeeded");
    const elapsedMs = Date.now() - started;

    const runs = agents.flatMap((a) => a.started.map((s) => s.taskId));
    assert.equal(runs.length, TASKS, "each task ran once");
    assert.equal(new Set(runs).size, TASKS);
    for (const a of agents) assert.ok(a.maxRunning <= 5, `${a.id} ran ${a.maxRunning} at once`);
    const keys = await store.keys("tasks.");
    assert.equal(keys.length, TASKS);
    const sample = await store.get(kvKeys.task(ids[0]!));
    assert.equal(decodeRecord(decodeFenced(sample!.value).payload).state, TaskState.TASK_STATE_SUCCEEDED);
    const lat = d.stats().dispatchLatencyMs.sort((x, y) => x - y);
    const q = (p: number) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
    console.log(
      `      ${TASKS} tasks (+${TASKS} repeats) on ${AGENTS} agents × 5 credits, 20 ms of work each: ` +
        `${elapsedMs} ms from first submit to last success (${Math.round((TASKS * 1000) / elapsedMs)} tasks/s); ` +
        `dispatch latency p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${lat.at(-1)} ms`,
    );
  });

  it("hands over mid-run to a second dispatcher: every task succeeds once, none lost", async () => {
    const n = 200;
    const bus = await NatsBus.connect({ servers: nats.url });
    closers.push(() => bus.close());
    const stores = await Promise.all(
      [0, 1].map(() => RedisStore.connect({ url: redis.url, namespace: "handover" })),
    );
    for (const s of stores) closers.push(() => s.close());
    const directory = new FakeDirectory();
    const agents: SimAgent[] = [];
    for (let i = 0; i < 5; i++) {
      directory.add({ id: `amr-${i}`, credits: 4 });
      agents.push(new SimAgent({ bus, clock: systemClock, id: `amr-${i}`, workMs: 30, retryMs: 50 }));
    }
    closers.push(async () => {
      for (const a of agents) a.close();
    });
    const node = async (id: string, i: number) => {
      const leadership = elect(stores[i]!, "dispatcher", id, { leaseMs: 1000, renewMs: 250 });
      closers.push(() => leadership.close());
      const d = new Dispatcher({
        bus,
        store: stores[i]!,
        directory,
        leadership,
        coordinatorId: id,
        intakeAckWaitMs: 1000,
      });
      closers.push(() => d.stop());
      await d.start();
      return { d, leadership };
    };
    const a = await node("node-a", 0);
    await until(() => a.d.leading, 5000, "A takes over");
    const b = await node("node-b", 1);
    const client = new TaskClient({ bus });
    const ids = await Promise.all(
      [...Array(n)].map(
        async (_, i) => (await client.submit({ kind: "k", idempotencyKey: `handover-${i}` })).id,
      ),
    );
    await until(() => (a.d.stats().finished.SUCCEEDED ?? 0) >= n / 4, 20_000, "A runs a quarter");
    const handoverAt = Date.now();
    await a.leadership.close();
    await until(() => b.d.leading, 10_000, "B takes over");
    const takeoverMs = Date.now() - handoverAt;
    const done = () => (a.d.stats().finished.SUCCEEDED ?? 0) + (b.d.stats().finished.SUCCEEDED ?? 0);
    await until(() => done() === n, 30_000, "all tasks succeeded");
    const runs = agents.flatMap((x) => x.started.map((s) => s.taskId));
    assert.equal(new Set(runs).size, n, "every task ran");
    assert.equal(runs.length, n, "no task ran twice");
    for (const x of agents) assert.ok(x.maxRunning <= 4);
    for (const id of ids) {
      const e = await stores[1]!.get(kvKeys.task(id));
      assert.equal(decodeRecord(decodeFenced(e!.value).payload).state, TaskState.TASK_STATE_SUCCEEDED);
    }
    console.log(
      `      hand-over: B led and had taken over ${takeoverMs} ms after A resigned; ` +
        `A finished ${a.d.stats().finished.SUCCEEDED}, B ${b.d.stats().finished.SUCCEEDED}`,
    );
  });
});
