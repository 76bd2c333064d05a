import assert from "node:assert/strict";
import { SwarmError } from "@swarmlink/protocol";
import type { AnyEventObject } from "xstate";
import { worker } from "../../src/mod.js";
import { allPaths, type Oracle, pathName, runPath } from "../model.js";

const task = (id: string) => ({ id, kind: "pick", capabilities: ["pick"] }) as never;

export const workerEvents: AnyEventObject[] = [
  { type: "swarm.task.offered", task: task("t1") },
  { type: "swarm.task.awarded", task: task("t1"), attempt: 1 },
  { type: "swarm.task.awarded", task: task("t2"), attempt: 1 },
  { type: "swarm.task.cancelled", taskId: "t1", code: "E_ABORTED" },
  { type: "swarm.task.cancelled", taskId: "t9", code: "E_ABORTED" },
  { type: "swarm.task.reported", taskId: "t1" },
  { type: "swarm.restored" },
  { type: "xstate.done.actor.execute", output: { ok: true } },
  { type: "xstate.error.actor.execute", error: new SwarmError("E_UNAVAILABLE", "gripper") },
  { type: "xstate.after.bidTimeout.worker.bidding" },
];

/** The worker's spec, written from the issue, not from the machine. */
export const workerOracle: Oracle = (state, context, e) => {
  const ours = (e as { taskId?: string }).taskId === context.taskId;
  switch (`${String(state)}/${e.type}`) {
    case "idle/swarm.task.offered":
    case "bidding/swarm.task.offered":
      return { state: "bidding", effects: ["swarm.bid"] };
    case "idle/swarm.task.awarded":
    case "bidding/swarm.task.awarded":
      return { state: "executing", effects: ["swarm.accept"] };
    case "bidding/xstate.after.bidTimeout.worker.bidding":
      return { state: "idle", effects: [] };
    case "executing/swarm.task.awarded":
    case "reporting/swarm.task.awarded":
      return { state: String(state), effects: ["swarm.refuse"] };
    case "executing/xstate.done.actor.execute":
      return { state: "reporting", effects: ["swarm.complete"] };
    case "executing/xstate.error.actor.execute":
      return { state: "reporting", effects: ["swarm.fail"] };
    case "executing/swarm.task.cancelled":
      return ours ? { state: "idle", effects: [] } : undefined;
    case "reporting/swarm.task.reported":
      return ours ? { state: "idle", effects: [] } : undefined;
    case "executing/swarm.restored":
    case "reporting/swarm.restored":
      return { state: "idle", effects: [] };
    default:
      return undefined;
  }
};

describe("the worker machine, model-based", () => {
  const model = { machine: worker, events: workerEvents, oracle: workerOracle };
  const paths = allPaths(model);

  it("reaches every state of the issue (idle, bidding, executing, reporting) and every transition", () => {
    const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    assert.deepEqual([...reached].sort(), ['"bidding"', '"executing"', '"idle"', '"reporting"']);
    assert.ok(paths.length > 10, `${paths.length} paths`);
  });

  for (const p of paths) {
    const name = pathName(p.steps);
    it(`follows the model along ${name}`, async () => {
      await runPath(model, p.steps);
    });
  }
});
