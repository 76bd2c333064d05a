import assert from "node:assert/strict";
import { decodeEnvelope, KV_PREFIXES, subjectPatterns, TaskState, unwrapAs } from "@swarmlink/protocol";
import type { Store, WriteOptions } from "@swarmlink/store";
import fc from "fast-check";
import { decodeRecord } from "../../src/dispatcher/record.js";
import { decodeFenced } from "../../src/election/mod.js";
import { TaskClient } from "../../src/tasks/mod.js";
import { runUntil, SimSwarm } from "./dispatcher-helpers.js";

const S = TaskState;

describe("Dispatcher, queue and direct allocation", () => {
  let swarm: SimSwarm;
  let client: TaskClient;
  beforeEach(() => {
    swarm = new SimSwarm();
    client = swarm.client;
  });
  afterEach(() => swarm.close());

  const stateOf = (id: string) => swarm.record(id);

  it("runs a submitted task on a capable agent and records SUCCEEDED with the result", async () => {
    await swarm.leader();
    swarm.agent({ id: "cam-1", capabilities: ["camera"] });
    const lifter = swarm.agent({ id: "lift-1", capabilities: ["lift"] });
    const { id } = await client.submit({ kind: "pick", capabilities: ["lift"] });
    await runUntil(swarm.clock, () => lifter.started.length === 1 && lifter.running.size === 0, 5000);
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().finished.SUCCEEDED === 1, 5000);
    const rec = (await stateOf(id))!;
    assert.equal(rec.state, S.TASK_STATE_SUCCEEDED);
    assert.equal(rec.assignee, "lift-1");
    assert.equal(rec.attempts, 1);
    assert.equal(new TextDecoder().decode(rec.result), "done by lift-1");
    assert.ok(rec.fencingToken >= 1);
  });

  it("picks the least loaded agent (tasks held / credits), then the nearest", async () => {
    await swarm.leader();
    const near = swarm.agent({ id: "near", credits: 2, position: { x: 1, y: 0 } }, { behaviour: "hold" });
    const far = swarm.agent({ id: "far", credits: 2, position: { x: 50, y: 0 } }, { behaviour: "hold" });
    const big = swarm.agent({ id: "big", credits: 4, position: { x: 90, y: 0 } }, { behaviour: "hold" });
    const order: string[] = [];
    for (let i = 0; i < 4; i++) {
      const { id } = await client.submit({ kind: "k", position: { x: 0, y: 0 } });
      await runUntil(swarm.clock, () => swarm.agents.some((a) => a.running.has(id)), 2000);
      order.push(swarm.agents.find((a) => a.running.has(id))!.id);
    }
    // All idle: equal load 0 → nearest. Then near is at 1/2, far 0/2, big 0/4 → far (nearer than big);
    // then near 1/2, far 1/2, big 0/4 → big; then 1/2, 1/2, 1/4 → big.
    assert.deepEqual(order, ["near", "far", "big", "big"]);
    assert.equal(near.running.size + far.running.size + big.running.size, 4);
  });

  for (const withGeneration of [true, false]) {
    const which = withGeneration ? "" : " (a directory without a generation)";
    it(`claims new submissions for the directory as it is now: an agent gone offline, one just registered${which}`, async () => {
      if (!withGeneration) {
        // As a directory written in plain JS before the member existed: never a number.
        Object.defineProperty(swarm.directory, "generation", { get: () => undefined, set: () => {} });
      }
      await swarm.leader();
      const first = swarm.agent({ id: "first", credits: 5 }, { behaviour: "hold" });
      const a = await client.submit({ kind: "k" });
      await runUntil(swarm.clock, () => first.running.has(a.id), 2000);
      swarm.directory.setStatus("first", "offline");
      const second = swarm.agent({ id: "second", credits: 5 }, { behaviour: "hold" });
      const b = await client.submit({ kind: "k" });
      await runUntil(swarm.clock, () => second.running.has(b.id), 2000);
      assert.ok(!first.running.has(b.id));
    });
  }

  it("serves higher priority first, then the older task", async () => {
    const agent = swarm.agent({ id: "solo", credits: 1 }, { behaviour: "hold" });
    await swarm.leader();
    const blocker = await client.submit({ kind: "first" });
    await runUntil(swarm.clock, () => agent.running.has(blocker.id), 2000);
    const low = await client.submit({ kind: "low", priority: 1 });
    const oldHigh = await client.submit({ kind: "high", priority: 5 });
    swarm.clock.advance(5);
    const newHigh = await client.submit({ kind: "high", priority: 5 });
    const top = await client.submit({ kind: "top", priority: 9 });
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().tasksByState.QUEUED === 4, 2000);
    const served: string[] = [];
    for (let i = 0; i < 4; i++) {
      const current = [...agent.running][0]!;
      agent.release(current);
      await runUntil(swarm.clock, () => agent.running.size === 1 && !agent.running.has(current), 2000);
      served.push([...agent.running][0]!);
    }
    assert.deepEqual(served, [top.id, oldHigh.id, newHigh.id, low.id]);
  });

  it("stores a task awarded at once while nothing waits, and queues it behind waiting tasks otherwise", async () => {
    const agent = swarm.agent({ id: "solo", credits: 1 }, { behaviour: "hold" });
    await swarm.leader();
    const writes = new Map<string, number[]>();
    const events = new Map<string, number[]>();
    const watch = swarm.store.watch(KV_PREFIXES.tasks);
    void (async () => {
      for await (const c of watch) {
        const id = c.key.slice(KV_PREFIXES.tasks.length);
        if (c.value)
          writes.set(id, [...(writes.get(id) ?? []), decodeRecord(decodeFenced(c.value).payload).state]);
      }
    })();
    await watch.initialized;
    swarm.bus.subscribe(subjectPatterns.taskEvents, {
      callback: (_e, m) => {
        const info = unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.TaskInfo");
        const taskId = info.task?.id ?? "";
        events.set(taskId, [...(events.get(taskId) ?? []), info.state]);
      },
    });
    const first = await client.submit({ kind: "first" });
    await runUntil(swarm.clock, () => agent.running.has(first.id), 2000);
    // Nothing waited: one write, AWARDED; the events still tell every step.
    assert.deepEqual(writes.get(first.id), [S.TASK_STATE_AWARDED]);
    assert.deepEqual(events.get(first.id), [
      S.TASK_STATE_QUEUED,
      S.TASK_STATE_AWARDED,
      S.TASK_STATE_ACCEPTED,
    ]);
    const second = await client.submit({ kind: "second" });
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().tasksByState.QUEUED === 1, 2000);
    // The agent is busy: stored QUEUED, and a later, more urgent task does not jump it by claiming.
    const urgent = await client.submit({ kind: "urgent", priority: 9 });
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().tasksByState.QUEUED === 2, 2000);
    assert.deepEqual(writes.get(second.id), [S.TASK_STATE_QUEUED]);
    assert.deepEqual(writes.get(urgent.id), [S.TASK_STATE_QUEUED]);
    agent.release(first.id);
    await runUntil(swarm.clock, () => agent.running.has(urgent.id), 2000);
    watch.stop();
  });

  it("awards a task whose record a lookup took over while intake was still writing it", async () => {
    // A `get` that arrives between the Store's create and the intake's own bookkeeping loads the
    // record from the Store; the intake must still carry its task on (it once dropped the award).
    let raced = 0;
    const racing: Store = new Proxy(swarm.store, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (prop !== "create") return typeof v === "function" ? v.bind(target) : v;
        return async (key: string, value: Uint8Array, opts?: WriteOptions) => {
          const revision = await target.create(key, value, opts);
          if (key.startsWith(KV_PREFIXES.tasks)) {
            raced++;
            await client.get(key.slice(KV_PREFIXES.tasks.length));
          }
          return revision;
        };
      },
    });
    await swarm.leader("node-a", { store: racing });
    const agent = swarm.agent({ id: "solo" });
    const { id } = await client.submit({ kind: "k" });
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().finished.SUCCEEDED === 1, 5000);
    assert.equal(raced, 1);
    assert.deepEqual(agent.started, [{ taskId: id, attempt: 1 }]);
  });

  it("keeps a direct task waiting until its target is online with a free credit", async () => {
    await swarm.leader();
    const other = swarm.agent({ id: "other", credits: 5 });
    const target = swarm.agent({ id: "target", credits: 1 }, { behaviour: "hold" });
    swarm.directory.setStatus("target", "offline");
    const { id } = await client.submit({ kind: "k", strategy: "direct", targetAgentId: "target" });
    await runUntil(swarm.clock, () => swarm.dispatchers[0]!.stats().tasksByState.QUEUED === 1, 2000);
    swarm.clock.advance(3000);
    await runUntil(swarm.clock, () => true, 100);
    assert.equal(other.started.length, 0);
    assert.equal((await stateOf(id))!.state, S.TASK_STATE_QUEUED);
    swarm.directory.setStatus("target", "online");
    const busy = await client.submit({ kind: "k", strategy: "direct", targetAgentId: "target" });
    await runUntil(swarm.clock, () => target.running.size === 1, 2000);
    const second = [...target.running][0] === id ? busy.id : id;
    swarm.clock.advance(2000);
    await runUntil(swarm.clock, () => true, 100);
    assert.equal((await stateOf(second))!.state, S.TASK_STATE_QUEUED, "waits for the target's credit");
    target.release([...target.running][0]!);
    await runUntil(swarm.clock, () => target.started.length === 2, 2000);
    assert.equal(other.started.length, 0);
  });

  it("never gives an agent more tasks than its credits, whatever the agents and tasks", async function () {
    this.timeout(40_000);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ credits: fc.integer({ min: 1, max: 3 }), caps: fc.subarray(["a", "b"]) }), {
          minLength: 1,
          maxLength: 5,
        }),
        fc.array(
          fc.record({
            caps: fc.subarray(["a", "b"], { maxLength: 1 }),
            priority: fc.integer({ min: 0, max: 9 }),
          }),
          {
            minLength: 1,
            maxLength: 25,
          },
        ),
        fc.integer({ min: 1, max: 80 }),
        async (agents, tasks, workMs) => {
          const s = new SimSwarm();
          try {
            const c = new TaskClient({ bus: s.bus, clock: s.clock });
            const sims = agents.map((a, i) =>
              s.agent({ id: `a${i}`, credits: a.credits, capabilities: a.caps }, { workMs }),
            );
            const { d } = await s.leader();
            const runnable = tasks.filter((t) => agents.some((a) => t.caps.every((x) => a.caps.includes(x))));
            await Promise.all(
              tasks.map((t) => c.submit({ kind: "k", capabilities: t.caps, priority: t.priority })),
            );
            await runUntil(s.clock, () => (d.stats().finished.SUCCEEDED ?? 0) === runnable.length, 60_000, 5);
            for (const [i, sim] of sims.entries()) {
              assert.ok(
                sim.maxRunning <= agents[i]!.credits,
                `${sim.id} ran ${sim.maxRunning} > ${agents[i]!.credits}`,
              );
            }
            assert.equal(d.stats().tasksByState.QUEUED ?? 0, tasks.length - runnable.length);
          } finally {
            await s.close();
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
