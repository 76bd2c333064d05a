import assert from "node:assert/strict";
import { SwarmError } from "@swarmlink/protocol";
import type { AnyEventObject, StateValue } from "xstate";
import { patrol } from "../../src/mod.js";
import { allPaths, type Expected, type Oracle, pathName, runPath } from "../model.js";
import { workerEvents } from "./worker.model.test.js";

type P = { x: number; y: number };
const W: P[] = [
  { x: 0, y: 0 },
  { x: 10, y: 0 },
  { x: 10, y: 10 },
];
const input = { waypoints: W, dwellMs: 100, cost: 3 };

const events: AnyEventObject[] = [
  ...workerEvents.filter((e) => !e.type.startsWith("xstate.after.")),
  { type: "xstate.done.actor.move" },
  { type: "xstate.done.actor.move", output: { x: 9, y: 1 } },
  { type: "xstate.error.actor.move", error: new SwarmError("E_UNAVAILABLE", "blocked") },
  { type: "xstate.after.dwell.patrol.patrolling.dwelling" },
];

const MOVING = { patrolling: "moving" };
const DWELLING = { patrolling: "dwelling" };

/**
 * The spec from the issue: it cycles the waypoints (a pose sample at each arrival, a dwell, the
 * next one); bids while patrolling; an award pauses it for the worker's executing → reporting; back
 * on patrol it heads again for the waypoint it was heading for when the task came.
 */
const oracle: Oracle = (state, ctx, e): Expected | undefined => {
  const index = ctx.index as number;
  const position = ctx.position as P;
  const ours = (e as { taskId?: string }).taskId === ctx.taskId;
  const resume = { state: MOVING, effects: [], started: { move: [{ from: position, to: W[index] }] } };
  const patrolling = typeof state === "object" && "patrolling" in state;
  const where = patrolling ? (state as { patrolling: string }).patrolling : String(state);
  const taskOf = (ev: AnyEventObject) => (ev.task as { id: string }).id;
  switch (`${patrolling ? "patrolling" : where}/${e.type}`) {
    case "patrolling/swarm.task.offered":
      return { state, effects: [{ type: "swarm.bid", taskId: "t1", cost: 3 }], started: { move: [] } };
    case "patrolling/swarm.task.awarded":
      return {
        state: "executing",
        effects: [{ type: "swarm.accept", taskId: taskOf(e) }],
        context: { taskId: taskOf(e), index, position },
      };
    case "patrolling/xstate.done.actor.move": {
      if (where !== "moving") return undefined;
      const out = (e as { output?: P }).output;
      const at = out ?? (W[index] as P);
      return {
        state: DWELLING,
        effects: [{ type: "swarm.telemetry", stream: "pose", value: at, conflate: true }],
        context: { position: at, index: (index + 1) % W.length },
      };
    }
    case "patrolling/xstate.error.actor.move":
      return where === "moving" ? { state: DWELLING, effects: [], context: { index, position } } : undefined;
    case "patrolling/xstate.after.dwell.patrol.patrolling.dwelling":
      return where === "dwelling" ? resume : undefined;
    case "executing/swarm.task.awarded":
    case "reporting/swarm.task.awarded":
      return { state: where, effects: [{ type: "swarm.refuse", taskId: taskOf(e), code: "E_OVERFLOW" }] };
    case "executing/xstate.done.actor.execute":
      return {
        state: "reporting",
        effects: [{ type: "swarm.complete", taskId: ctx.taskId, result: { ok: true } }],
      };
    case "executing/xstate.error.actor.execute":
      return {
        state: "reporting",
        effects: [{ type: "swarm.fail", taskId: ctx.taskId, code: "E_UNAVAILABLE", message: "gripper" }],
      };
    case "executing/swarm.task.cancelled":
      return ours ? resume : undefined;
    case "reporting/swarm.task.reported":
      return ours ? resume : undefined;
    case "executing/swarm.restored":
    case "reporting/swarm.restored":
      return resume;
    default:
      return undefined;
  }
};

describe("the patrol machine, model-based", () => {
  const model = {
    machine: patrol,
    events,
    oracle,
    input,
    simple: false,
    controlled: ["execute", "move"],
    serialize: (s: { value: StateValue; context: Record<string, unknown> }) =>
      JSON.stringify([s.value, s.context.taskId ?? null, s.context.index]),
  };
  const paths = allPaths(model);

  it("reaches moving and dwelling at every waypoint, executing and reporting, by shortest paths", () => {
    const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    for (const s of [MOVING, DWELLING, "executing", "reporting"])
      assert.ok(reached.has(JSON.stringify(s)), JSON.stringify(s));
    const indices = new Set(
      paths
        .map((p) => (p.state as { context?: { index: number } }).context?.index)
        .filter((i) => i !== undefined),
    );
    assert.deepEqual([...indices].sort(), [0, 1, 2]);
  });

  for (const p of paths) {
    it(`follows the model along ${pathName(p.steps)}`, async () => {
      await runPath(model, p.steps);
    });
  }
});
