import { assign, setup } from "xstate";
import type { Point, SwarmEffect, SwarmEvent } from "../events.js";
import { publishPose } from "./effects.js";
import { defaultMove, reached } from "./move.js";
import { DEFAULT_POSE_STREAM } from "./patrol.js";

/** How far behind its leader a `follower` stops, in metres. */
export const DEFAULT_STANDOFF_M = 1;

/** Input of `follower`. */
export interface FollowerInput {
  /** The election group whose leader it follows (bind with `elect: [group]`). @default any group */
  group?: string;
  /** Where it starts. @default (0, 0) */
  position?: Point;
  /** How far from the leader it stops, in metres. @default 1 */
  standoffM?: number;
  /** Telemetry stream of its position (conflated). @default "pose" */
  poseStream?: string;
}

/** Context of `follower` (JSON: it is persisted). */
export interface FollowerContext {
  group: string | undefined;
  /** The leader it follows; undefined when none is known or it leads itself. */
  leader: string | undefined;
  /** The leader's last position. */
  target: Point | undefined;
  /** Where its current move goes: `standoffM` short of `target`. */
  goal: Point | undefined;
  position: Point;
  standoffM: number;
  poseStream: string;
}

type LeaderEvent = Extract<SwarmEvent, { type: "swarm.leader" }>;
const leaderEvent = (e: SwarmEvent, group: string | undefined): LeaderEvent | undefined =>
  e.type === "swarm.leader" && (group === undefined || e.group === group) ? e : undefined;
const distance = (a: Point, b: Point) => Math.hypot(b.x - a.x, b.y - a.y);
/** 1 mm: closer than this counts as there. */
const EPSILON_M = 1e-3;

/** `standoffM` short of `target` on the line from `from`; `from` itself when it is that close already. */
export function goalToward(from: Point, target: Point, standoffM: number): Point {
  const d = distance(from, target);
  if (d <= standoffM) return { x: from.x, y: from.y };
  const f = (d - standoffM) / d;
  return { x: from.x + (target.x - from.x) * f, y: from.y + (target.y - from.y) * f };
}

/**
 * Follows the elected leader of a group: `holding` (no leader known: stays put), `following` (the
 * leader's `swarm.peer.pose` samples set the target; it moves with the `move` actor to `standoffM`
 * short of it, `waiting` between moves; each arrival publishes a `pose` sample), `leading` (it won
 * the election itself: it stops following). A new leader drops the old target.
 *
 * @example
 * ```ts
 * await bindBehaviour(agent, follower, { elect: ["convoy"], swarm, input: { group: "convoy", standoffM: 2 } });
 * ```
 */
export const follower = setup({
  types: {
    context: {} as FollowerContext,
    events: {} as SwarmEvent,
    emitted: {} as SwarmEffect,
    input: {} as FollowerInput | undefined,
  },
  actors: { move: defaultMove },
  guards: {
    leads: ({ context, event }) => leaderEvent(event, context.group)?.isLeader === true,
    noLeader: ({ context, event }) => {
      const e = leaderEvent(event, context.group);
      return e !== undefined && !e.isLeader && e.holder === undefined;
    },
    newLeader: ({ context, event }) => {
      const e = leaderEvent(event, context.group);
      return e !== undefined && !e.isLeader && e.holder !== undefined && e.holder !== context.leader;
    },
    fromLeader: ({ context, event }) => event.type === "swarm.peer.pose" && event.agentId === context.leader,
    far: ({ context }) =>
      context.target !== undefined &&
      distance(context.position, context.target) > context.standoffM + EPSILON_M,
  },
  actions: {
    note: assign(({ context, event }) => {
      const e = leaderEvent(event, context.group);
      return { leader: e && !e.isLeader ? e.holder : undefined, target: undefined, goal: undefined };
    }),
    aim: assign(({ event }) =>
      event.type === "swarm.peer.pose" ? { target: { x: event.x, y: event.y } } : {},
    ),
    publishPose: publishPose<FollowerContext>(),
  },
}).createMachine({
  id: "follower",
  context: ({ input }) => ({
    group: input?.group,
    leader: undefined,
    target: undefined,
    goal: undefined,
    position: { x: input?.position?.x ?? 0, y: input?.position?.y ?? 0 },
    standoffM: input?.standoffM ?? DEFAULT_STANDOFF_M,
    poseStream: input?.poseStream ?? DEFAULT_POSE_STREAM,
  }),
  initial: "holding",
  on: {
    "swarm.leader": [
      { guard: "leads", target: ".leading", actions: "note" },
      { guard: "noLeader", target: ".holding", actions: "note" },
      { guard: "newLeader", target: ".following", actions: "note" },
    ],
  },
  states: {
    holding: {},
    leading: {},
    following: {
      initial: "waiting",
      on: { "swarm.peer.pose": { guard: "fromLeader", actions: "aim" } },
      states: {
        waiting: {
          always: { guard: "far", target: "moving" },
        },
        moving: {
          entry: assign(({ context }) => ({
            goal: context.target && goalToward(context.position, context.target, context.standoffM),
          })),
          invoke: {
            id: "move",
            src: "move",
            input: ({ context }) => ({ from: context.position, to: context.goal ?? context.position }),
            onDone: {
              target: "waiting",
              actions: [
                assign(({ context, event }) => ({
                  position: reached(event.output, context.goal ?? context.position),
                  goal: undefined,
                })),
                "publishPose",
              ],
            },
            // could not get there: wait for the leader's next pose before trying again
            onError: { target: "waiting", actions: assign({ target: undefined, goal: undefined }) },
          },
        },
      },
    },
  },
});
