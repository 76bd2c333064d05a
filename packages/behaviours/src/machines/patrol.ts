import { assign, setup } from "xstate";
import type { Point, SwarmEffect, SwarmEvent } from "../events.js";
import { publishPose, type TaskSlot, taskActions, taskStates } from "./effects.js";
import { defaultExecute } from "./execute.js";
import { defaultMove, reached } from "./move.js";

/** How long `patrol` stays at a waypoint before it moves on, in ms. */
export const DEFAULT_DWELL_MS = 1000;
/** Telemetry stream of the ready machines' position. */
export const DEFAULT_POSE_STREAM = "pose";

/** Input of `patrol`. */
export interface PatrolInput {
  /** The round it patrols, in order, then again from the first (none: it stays where it is). @default [] */
  waypoints?: Point[];
  /** Where it starts (then it heads for the first waypoint). @default the first waypoint (then it heads for the second), else (0, 0) */
  position?: Point;
  /** Time at each waypoint before moving on, in ms. @default 1000 */
  dwellMs?: number;
  /** What it bids for every task (lower wins). @default 1 */
  cost?: number;
  /** Telemetry stream of its position (conflated). @default "pose" */
  poseStream?: string;
}

/** Context of `patrol` (JSON: it is persisted). */
export interface PatrolContext extends TaskSlot {
  waypoints: Point[];
  /** The waypoint it is heading for (or dwells before), an index into `waypoints`. */
  index: number;
  position: Point;
  dwellMs: number;
  poseStream: string;
}

/**
 * A patrol: `patrolling` (`moving` to the next waypoint with the `move` actor, `dwelling` there
 * `dwellMs`, around the list again and again; each arrival publishes a `pose` sample) until a task
 * is awarded: then it stops moving, runs it as `worker` does (`executing` → `reporting`; another
 * award meanwhile is refused `E_OVERFLOW`) and resumes at the waypoint it was heading for. It bids
 * `cost` for every offer while patrolling.
 *
 * @example
 * ```ts
 * const machine = patrol.provide({ actors: { move: fromPromise(async ({ input, signal }) => driveTo(input.to, signal)) } });
 * await bindBehaviour(agent, machine, { capabilities: ["inspect"], input: { waypoints: [{ x: 0, y: 0 }, { x: 10, y: 0 }] } });
 * ```
 */
export const patrol = setup({
  types: {
    context: {} as PatrolContext,
    events: {} as SwarmEvent,
    emitted: {} as SwarmEffect,
    input: {} as PatrolInput | undefined,
  },
  actors: { execute: defaultExecute, move: defaultMove },
  delays: { dwell: ({ context }) => context.dwellMs },
  guards: {
    isOurs: ({ context, event }) => "taskId" in event && event.taskId === context.taskId,
    hasWaypoints: ({ context }) => context.waypoints.length > 0,
  },
  actions: {
    ...taskActions<PatrolContext>("E_OVERFLOW"),
    publishPose: publishPose<PatrolContext>(),
  },
}).createMachine({
  id: "patrol",
  context: ({ input }) => {
    const waypoints = (input?.waypoints ?? []).map((p) => ({ x: p.x, y: p.y }));
    const start = input?.position ?? waypoints[0] ?? { x: 0, y: 0 };
    return {
      waypoints,
      // started on the first waypoint (no position given): head for the second
      index: input?.position || waypoints.length === 0 ? 0 : 1 % waypoints.length,
      position: { x: start.x, y: start.y },
      dwellMs: input?.dwellMs ?? DEFAULT_DWELL_MS,
      cost: input?.cost ?? 1,
      poseStream: input?.poseStream ?? DEFAULT_POSE_STREAM,
      taskId: undefined,
      task: undefined,
      completed: 0,
      failed: 0,
    };
  },
  initial: "patrolling",
  states: {
    patrolling: {
      entry: "forget",
      initial: "moving",
      on: {
        "swarm.task.offered": { actions: "bid" },
        "swarm.task.awarded": { target: "executing", actions: ["take", "accept"] },
      },
      states: {
        moving: {
          invoke: {
            id: "move",
            src: "move",
            input: ({ context }) => ({
              from: context.position,
              to: context.waypoints[context.index] ?? context.position,
            }),
            onDone: {
              target: "dwelling",
              actions: [
                assign(({ context, event }) => ({
                  position: reached(event.output, context.waypoints[context.index] ?? context.position),
                  index: (context.index + 1) % Math.max(1, context.waypoints.length),
                })),
                "publishPose",
              ],
            },
            // not there: wait, then try the same waypoint again
            onError: "dwelling",
          },
        },
        dwelling: {
          after: { dwell: { guard: "hasWaypoints", target: "moving" } },
        },
      },
    },
    ...taskStates<PatrolContext>("#patrol.patrolling"),
  },
});
