import assert from "node:assert/strict";
import { SwarmError } from "@swarmlink/protocol";
import type { AnyEventObject, StateValue } from "xstate";
import { follower } from "../../src/mod.js";
import { allPaths, type Expected, type Oracle, pathName, runPath } from "../model.js";

type P = { x: number; y: number };
const STANDOFF = 1;
const input = { group: "g", position: { x: 0, y: 0 }, standoffM: STANDOFF };
const leader = (holder: string | undefined, isLeader = false, group = "g") => ({
  type: "swarm.leader",
  group,
  holder,
  isLeader,
  token: 1,
});
const pose = (agentId: string, x: number, y: number) => ({ type: "swarm.peer.pose", agentId, x, y });

const events: AnyEventObject[] = [
  leader("L1"),
  leader("L2"),
  leader(undefined),
  leader("me", true),
  leader("L9", false, "other"),
  pose("L1", 10, 0),
  pose("L1", 0.5, 0),
  pose("L2", 0, 10),
  pose("L9", 5, 5),
  { type: "xstate.done.actor.move" },
  { type: "xstate.done.actor.move", output: { x: 2, y: 0 } },
  { type: "xstate.error.actor.move", error: new SwarmError("E_UNAVAILABLE", "blocked") },
];

const WAITING = { following: "waiting" };
const MOVING = { following: "moving" };

/** Where the spec says a follower at `from` heads for a leader at `to`: `STANDOFF` metres short of it. */
function goal(from: P, to: P): P {
  const dx = to.x - from.x;
  const dy = to.y - from.y;
  const d = Math.sqrt(dx * dx + dy * dy);
  if (d <= STANDOFF) return from;
  return { x: to.x - (dx / d) * STANDOFF, y: to.y - (dy / d) * STANDOFF };
}
const far = (from: P, to: P | undefined) =>
  to !== undefined && Math.hypot(to.x - from.x, to.y - from.y) > STANDOFF + 1e-3;

/**
 * The spec from the issue: no leader known → hold position; a leader (someone else) → follow it,
 * moving toward its pose samples; leader itself → stop following. A new leader drops the old target.
 */
const oracle: Oracle = (state, ctx, e): Expected | undefined => {
  const position = ctx.position as P;
  const target = ctx.target as P | undefined;
  const following = typeof state === "object" && "following" in state;
  const sub = following ? (state as { following: string }).following : "";
  if (e.type === "swarm.leader") {
    const l = e as unknown as { group: string; holder?: string; isLeader: boolean };
    if (l.group !== "g") return undefined;
    if (l.isLeader)
      return { state: "leading", effects: [], context: { leader: undefined }, started: { move: [] } };
    if (l.holder === undefined) return { state: "holding", effects: [], context: { leader: undefined } };
    if (l.holder === ctx.leader) return undefined;
    return {
      state: WAITING,
      effects: [],
      context: { leader: l.holder, target: undefined },
      started: { move: [] },
    };
  }
  if (e.type === "swarm.peer.pose") {
    const p = e as unknown as { agentId: string; x: number; y: number };
    if (!following || p.agentId !== ctx.leader) return undefined;
    const t = { x: p.x, y: p.y };
    if (sub === "moving")
      return { state: MOVING, effects: [], context: { target: t }, started: { move: [] } };
    return far(position, t)
      ? {
          state: MOVING,
          effects: [],
          context: { target: t },
          started: { move: [{ from: position, to: goal(position, t) }] },
        }
      : { state: WAITING, effects: [], context: { target: t }, started: { move: [] } };
  }
  if (sub !== "moving") return undefined;
  if (e.type === "xstate.done.actor.move") {
    // without an output it got where the move went: the goal checked when the move started
    const at = (e as { output?: P }).output ?? (ctx.goal as P);
    const again = far(at, target);
    return {
      state: again ? MOVING : WAITING,
      effects: [{ type: "swarm.telemetry", stream: "pose", value: at, conflate: true }],
      context: { position: at },
      started: { move: again ? [{ from: at, to: goal(at, target as P) }] : [] },
    };
  }
  if (e.type === "xstate.error.actor.move")
    return { state: WAITING, effects: [], context: { target: undefined, position }, started: { move: [] } };
  return undefined;
};

describe("the follower machine, model-based", () => {
  const model = {
    machine: follower,
    events,
    oracle,
    input,
    simple: false,
    controlled: ["move"],
    serialize: (s: { value: StateValue; context: Record<string, unknown> }) =>
      JSON.stringify([s.value, s.context.leader ?? null, s.context.target ?? null]),
  };
  const paths = allPaths(model);

  it("reaches holding, leading, following.waiting and following.moving", () => {
    const reached = new Set(paths.map((p) => JSON.stringify(p.state.value)));
    assert.deepEqual(
      [...reached].sort(),
      [JSON.stringify(WAITING), JSON.stringify(MOVING), '"holding"', '"leading"'].sort(),
    );
  });

  for (const p of paths) {
    it(`follows the model along ${pathName(p.steps)}`, async () => {
      await runPath(model, p.steps);
    });
  }
});
