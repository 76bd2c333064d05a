import assert from "node:assert/strict";
import { SimulatedClock, swarmlink, TaskState, TaskStrategy } from "@swarmlink/protocol";
import fc from "fast-check";
import {
  byUrgency,
  capableAgents,
  hasFreeCredit,
  pickLeastLoaded,
  taskPoint,
} from "../../src/dispatcher/allocate.js";
import { Assigner } from "../../src/dispatcher/assign.js";
import type { TermContext } from "../../src/dispatcher/context.js";
import { Credits } from "../../src/dispatcher/credits.js";
import { newRecord, type TaskRecord } from "../../src/dispatcher/record.js";
import { FakeDirectory } from "./dispatcher-helpers.js";

/** Credits that count how often a load is asked: the work of a pass. */
class CountingCredits extends Credits {
  asked = 0;
  override load(agentId: string): number {
    this.asked++;
    return super.load(agentId);
  }
}

/**
 * One Assigner over a context with just what a pass reads: the waiting tasks, the credits, the
 * directory. Awards are recorded (the table's `apply` resolves with nothing, so none is sent).
 */
function passContext(directory: FakeDirectory, waiting: TaskRecord[], setup?: (c: Credits) => void) {
  const credits = new CountingCredits();
  const awarded: { taskId: string; agentId: string }[] = [];
  const abort = new AbortController();
  const table = {
    waiting: () => waiting.values(),
    get waitingCount() {
      return waiting.length;
    },
    get: () => undefined,
    apply: async () => undefined,
  };
  const ctx = {
    o: { clock: new SimulatedClock(), directory, auction: undefined, log: { debug() {}, warn() {} } },
    signal: abort.signal,
    table,
    credits,
    stats: {},
    pump() {},
    arm() {},
    failed() {},
  } as unknown as TermContext;
  setup?.(credits);
  const assigner = new Assigner(ctx);
  const held = credits.hold.bind(credits);
  credits.hold = (agentId, taskId) => {
    awarded.push({ taskId, agentId });
    held(agentId, taskId);
  };
  return { assigner, credits, awarded, stop: () => abort.abort() };
}

function queued(id: string, priority: number, createdMs: number, capabilities = ["pick"]): TaskRecord {
  const task = new swarmlink.v1.Task({ id, kind: "k", capabilities, priority });
  return { ...newRecord(task, 1, createdMs), state: TaskState.TASK_STATE_QUEUED };
}

const tick = () => new Promise((r) => setTimeout(r, 0));

describe("Dispatcher allocation pass", () => {
  it("serves a backlog on a full fleet without asking every agent for every task", async () => {
    const directory = new FakeDirectory();
    const agents = 200;
    for (let i = 0; i < agents; i++) directory.add({ id: `a${i}`, capabilities: ["pick"], credits: 1 });
    const tasks = 300;
    const waiting = Array.from({ length: tasks }, (_, i) => queued(`t${i}`, 0, 1000 - i));
    const { assigner, credits, awarded, stop } = passContext(directory, waiting);
    // Every agent but a7 is full (its credit held by a task that is not waiting).
    for (let i = 0; i < agents; i++) if (i !== 7) credits.hold(`a${i}`, `busy-${i}`);
    awarded.length = 0;
    credits.asked = 0;
    assigner.pump();
    await tick();
    stop();
    // The one free credit goes to the most urgent task: the oldest (created last in the list).
    assert.deepEqual(awarded, [{ taskId: `t${tasks - 1}`, agentId: "a7" }]);
    // One look at each agent for the pass, and a few per award; asking every agent for every
    // waiting task would be agents × tasks (60,000) looks.
    assert.ok(credits.asked <= 3 * (agents + tasks), `${credits.asked} loads asked in one pass`);
  });

  it("awards what a walk asking every capable agent for each task would award", async () => {
    const agentSpec = fc.record({
      caps: fc.subarray(["x", "y", "z"]),
      credits: fc.integer({ min: 1, max: 3 }),
      held: fc.integer({ min: 0, max: 3 }),
      at: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
      offline: fc.boolean(),
    });
    const taskSpec = fc.record({
      caps: fc.array(fc.constantFrom("x", "y", "z"), { maxLength: 2 }),
      priority: fc.integer({ min: 0, max: 3 }),
      direct: fc.option(fc.nat(7), { nil: undefined }),
      at: fc.option(fc.integer({ min: 0, max: 5 }), { nil: undefined }),
      avoid: fc.subarray([0, 1, 2, 3]),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(agentSpec, { minLength: 1, maxLength: 8 }),
        fc.array(taskSpec, { maxLength: 12 }),
        async (agents, tasks) => {
          const directory = new FakeDirectory();
          // Ids out of insertion order, so that the id order the pass relies on is its own doing.
          const ids = agents.map((_, i) => `a${(i * 7) % 10}${i}`);
          agents.forEach((a, i) => {
            const position = a.at === undefined ? undefined : { x: a.at, y: 0, z: 0 };
            directory.add({ id: ids[i]!, capabilities: a.caps, credits: a.credits, position });
            if (a.offline) directory.setStatus(ids[i]!, "offline");
          });
          const records = () =>
            tasks.map((t, i) => {
              const task = new swarmlink.v1.Task({
                id: `t${i}`,
                kind: "k",
                capabilities: t.caps,
                priority: t.priority,
                ...(t.direct === undefined
                  ? {}
                  : {
                      strategy: TaskStrategy.TASK_STRATEGY_DIRECT,
                      targetAgentId: ids[t.direct % ids.length],
                    }),
                ...(t.at === undefined ? {} : { position: { cartesian: { x: t.at, y: 1, z: 0 } } }),
              });
              return { ...newRecord(task, 1, i), state: TaskState.TASK_STATE_QUEUED };
            });
          const avoided = (i: number) => new Set(tasks[i]!.avoid.map((k) => ids[k % ids.length]!));
          const busy = (c: Credits) =>
            agents.forEach((a, i) => {
              for (let k = 0; k < Math.min(a.held, a.credits); k++) c.hold(ids[i]!, `busy-${i}-${k}`);
            });
          // The rule, task by task: every capable agent asked again for each.
          const reference = new Credits();
          busy(reference);
          const expected: { taskId: string; agentId: string }[] = [];
          const load = (id: string) => reference.load(id);
          for (const r of records().sort(byUrgency)) {
            const capable = capableAgents(r.task, directory);
            if (!capable.some((a) => hasFreeCredit(a, load))) continue;
            const avoid = avoided(Number(r.task.id.slice(1)));
            const fresh = capable.filter((a) => !avoid.has(a.id));
            const at = taskPoint(r.task);
            const chosen = pickLeastLoaded(fresh, load, at) ?? pickLeastLoaded(capable, load, at);
            if (!chosen) continue;
            reference.hold(chosen.id, r.task.id);
            expected.push({ taskId: r.task.id, agentId: chosen.id });
          }
          const { assigner, awarded, stop } = passContext(directory, records(), busy);
          tasks.forEach((_, i) => {
            for (const a of avoided(i)) assigner.avoid(`t${i}`, a);
          });
          assigner.pump();
          await tick();
          stop();
          assert.deepEqual(awarded, expected);
        },
      ),
      { numRuns: 1000 },
    );
  });

  it("keeps its lists while agents only move, and reads where they are now at the pick", async () => {
    class CountingDirectory extends FakeDirectory {
      queries = 0;
      override query(q: Parameters<FakeDirectory["query"]>[0]) {
        this.queries++;
        return super.query(q);
      }
    }
    const directory = new CountingDirectory({ roster: true });
    directory.add({ id: "left", capabilities: ["pick"], credits: 1, position: { x: 0, y: 0 } });
    directory.add({ id: "right", capabilities: ["pick"], credits: 1, position: { x: 100, y: 0 } });
    const at = (id: string, x: number) => {
      const task = new swarmlink.v1.Task({
        id,
        kind: "k",
        capabilities: ["pick"],
        position: { cartesian: { x, y: 0 } },
      });
      return { ...newRecord(task, 1, 0), state: TaskState.TASK_STATE_QUEUED };
    };
    const waiting = [at("t1", 90)];
    const { assigner, credits, awarded, stop } = passContext(directory, waiting);
    assigner.pump();
    await tick();
    assert.deepEqual(awarded, [{ taskId: "t1", agentId: "right" }]);
    credits.drop("t1");
    // The two swap places, reporting poses all the while: nothing else about them changes.
    for (let x = 0; x <= 100; x += 10) {
      directory.move("left", { x, y: 0 });
      directory.move("right", { x: 100 - x, y: 0 });
    }
    waiting.splice(0, 1, at("t2", 90));
    assigner.pump();
    await tick();
    assert.deepEqual(awarded[1], { taskId: "t2", agentId: "left" }, "the agent that is near now");
    // A task taken in while nothing waits (a claim) weighs where they are now too.
    credits.drop("t2");
    waiting.length = 0;
    directory.move("left", { x: 0, y: 0 });
    directory.move("right", { x: 100, y: 0 });
    assert.equal(assigner.claim(at("t3", 90)), "right");
    stop();
    assert.equal(directory.queries, 1, "one query for the requirement, kept across the moves");
  });

  it("finds the nearest idle agent of a large fleet by asking the directory, not by weighing each", async () => {
    const directory = new FakeDirectory({ roster: true });
    const agents = 2000;
    const name = (i: number) => `a${String(i).padStart(4, "0")}`;
    for (let i = 0; i < agents; i++) {
      directory.add({ id: name(i), capabilities: ["pick"], credits: 1, position: { x: i, y: 0, z: 0 } });
    }
    const at = (id: string, x: number) => {
      const task = new swarmlink.v1.Task({
        id,
        kind: "k",
        capabilities: ["pick"],
        position: { cartesian: { x } },
      });
      return { ...newRecord(task, 1, 0), state: TaskState.TASK_STATE_QUEUED };
    };
    const waiting = [at("t1", 1500.2), at("t2", 1500.4)];
    // Every third agent is busy (a1500 among them).
    const { assigner, credits, awarded, stop } = passContext(directory, waiting, (c) => {
      for (let i = 0; i < agents; i += 3) c.hold(name(i), `busy-${i}`);
    });
    // a1501 has moved next to t1 since the pass's list was kept; a1499 and a1502 stay put.
    directory.move("a1501", { x: 1500.3, y: 0, z: 0 });
    credits.asked = 0;
    assigner.pump();
    await tick();
    assert.deepEqual(awarded, [
      { taskId: "t1", agentId: "a1501" },
      { taskId: "t2", agentId: "a1499" },
    ]);
    // One look at each agent for the pass's list, a few per pick; weighing each agent would be
    // another 1,333 looks per task.
    assert.ok(credits.asked < agents + 300, `${credits.asked} loads asked in one pass`);
    // A task taken in while nothing waits (a claim) too.
    waiting.length = 0;
    credits.asked = 0;
    assert.equal(assigner.claim(at("t3", 10.1)), "a0010");
    assert.ok(credits.asked < 300, `${credits.asked} loads asked by one claim`);
    stop();
  });

  it("keeps urgency order across requirements that share agents", async () => {
    const directory = new FakeDirectory();
    directory.add({ id: "both", capabilities: ["pick", "lift"], credits: 2 });
    directory.add({ id: "lifter", capabilities: ["lift"], credits: 1 });
    const waiting = [
      queued("pick-1", 5, 1, ["pick"]),
      queued("lift-1", 4, 1, ["lift"]),
      queued("pick-2", 3, 1, ["pick"]),
      queued("lift-2", 2, 1, ["lift"]),
      queued("pick-3", 1, 1, ["pick"]),
    ];
    const { assigner, awarded, stop } = passContext(directory, waiting);
    assigner.pump();
    await tick();
    stop();
    // pick-1 takes one of "both"; lift-1 the least loaded lifter ("lifter", load 0 of 1); pick-2
    // the last credit of "both"; lift-2 finds both lifters full, and so does pick-3.
    assert.deepEqual(awarded, [
      { taskId: "pick-1", agentId: "both" },
      { taskId: "lift-1", agentId: "lifter" },
      { taskId: "pick-2", agentId: "both" },
    ]);
  });
});
