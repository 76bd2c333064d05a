import assert from "node:assert/strict";
import { SimulatedClock, swarmlink, TaskState } from "@swarmlink/protocol";
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
function passContext(directory: FakeDirectory, waiting: TaskRecord[]) {
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
