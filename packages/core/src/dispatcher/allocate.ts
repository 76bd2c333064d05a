import { type Task, TaskStrategy } from "@swarmlink/protocol";
import type { AgentDirectory, AgentRecord, Point } from "../types.js";
import type { TaskRecord } from "./record.js";

/** Tasks in the order they are served: higher `priority` first, then older, then by id. */
export function byUrgency(a: TaskRecord, b: TaskRecord): number {
  return (
    b.task.priority - a.task.priority ||
    a.createdMs - b.createdMs ||
    (a.task.id < b.task.id ? -1 : a.task.id > b.task.id ? 1 : 0)
  );
}

/** Where the work is, in the site frame; undefined without a cartesian position. */
export function taskPoint(task: Task): Point | undefined {
  const c = task.position?.cartesian;
  if (!c) return undefined;
  const p = { x: c.x ?? 0, y: c.y ?? 0, z: c.z ?? 0 };
  return Number.isFinite(p.x) && Number.isFinite(p.y) && Number.isFinite(p.z) ? p : undefined;
}

/** Agents in id order (see `pickLeastLoaded`'s `sortedById`). */
export function byId(a: AgentRecord, b: AgentRecord): number {
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** Whether `agent` has a credit no task holds. */
export function hasFreeCredit(agent: AgentRecord, load: (agentId: string) => number): boolean {
  return agent.credits - load(agent.id) > 0;
}

/**
 * The agents that could run `task` at all: online, with every capability and attribute it asks
 * for, with credits. For `direct`, only the target.
 */
export function capableAgents(task: Task, directory: AgentDirectory): AgentRecord[] {
  if (task.strategy === TaskStrategy.TASK_STRATEGY_DIRECT) {
    const a = directory.get(task.targetAgentId);
    return a && a.status === "online" && a.credits > 0 && fits(task, a) ? [a] : [];
  }
  return directory
    .query({ capabilities: [...task.capabilities], attributes: { ...task.attributes }, status: "online" })
    .filter((a) => a.credits > 0 && fits(task, a));
}

/**
 * The `queue` choice among `agents`: one with a free credit, least loaded (tasks held / credits),
 * then nearest to `at` (agents without a position after those with one), then by id; undefined when
 * none has a free credit. With `sortedById` (the caller vouches that `agents` are in id order) and
 * no `at`, the first idle agent is the choice, and the walk stops there: on a large fleet with idle
 * agents that is a few steps instead of one per agent.
 */
export function pickLeastLoaded(
  agents: readonly AgentRecord[],
  load: (agentId: string) => number,
  at: Point | undefined,
  sortedById = false,
): AgentRecord | undefined {
  const firstIdleWins = sortedById && at === undefined;
  // The best so far in locals, not an object per candidate: this runs for every task allocated.
  let best: AgentRecord | undefined;
  let bestLoad = 0;
  let bestDistance = 0;
  for (const agent of agents) {
    const l = load(agent.id);
    if (agent.credits - l <= 0) continue;
    if (l === 0 && firstIdleWins) return agent; // nothing is less loaded, and no later id wins a tie
    const d = distance(at, agent.position);
    if (!best || better(agent, l, d, best, bestLoad, bestDistance)) {
      best = agent;
      bestLoad = l;
      bestDistance = d;
    }
  }
  return best;
}

/** Whether agent `a` (load `la`, distance `da`) is a better choice than `b`. */
function better(a: AgentRecord, la: number, da: number, b: AgentRecord, lb: number, db: number): boolean {
  // load / credits compared exactly, by cross-multiplying.
  const ratio = la * b.credits - lb * a.credits;
  if (ratio !== 0) return ratio < 0;
  if (da !== db) return da < db;
  return a.id < b.id;
}

/**
 * For a task at `at`: its nearest idle capable agent, found by asking `directory` for the capable
 * agents nearest the task (on the ground plane, as the directory measures) a few at a time instead
 * of measuring every capable agent. An idle agent is as little loaded as an agent can be, so when
 * one exists the nearest of them (then the lowest id) is what {@link pickLeastLoaded} chooses.
 * Undefined when the asks end without one: none is idle or near enough, and the caller scans.
 */
export function nearestIdle(
  task: Task,
  at: Point,
  directory: AgentDirectory,
  load: (agentId: string) => number,
): AgentRecord | undefined {
  const capabilities = [...task.capabilities];
  const attributes = { ...task.attributes };
  for (let k = NEAREST_FIRST; k <= NEAREST_MOST; k *= 8) {
    const near = directory.query({
      capabilities,
      attributes,
      status: "online",
      nearest: { x: at.x, y: at.y, k },
    });
    let best: AgentRecord | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    /** How far the answer reaches on the plane: every agent it left out is at least that far. */
    let reach = 0;
    for (const a of near) {
      const p = a.position;
      if (!p) continue;
      reach = Math.max(reach, Math.hypot(at.x - p.x, at.y - p.y));
      if (a.credits <= 0 || load(a.id) !== 0 || !fits(task, a)) continue;
      const d = distance(at, p);
      if (!best || d < bestDistance || (d === bestDistance && a.id < best.id)) {
        best = a;
        bestDistance = d;
      }
    }
    const whole = near.length < k;
    // Distance in space is never less than on the plane: an agent left out cannot be closer.
    if (best && (whole || bestDistance < reach)) return best;
    if (whole) return undefined;
  }
  return undefined;
}

/** Agents {@link nearestIdle} asks for at first; each further ask is for eight times as many. */
const NEAREST_FIRST = 16;
/** The most agents {@link nearestIdle} asks for before it leaves the choice to a scan. */
const NEAREST_MOST = 1024;

function distance(at: Point | undefined, p: Point | undefined): number {
  if (!at || !p) return Number.POSITIVE_INFINITY;
  return Math.hypot(at.x - p.x, at.y - p.y, (at.z ?? 0) - (p.z ?? 0));
}

/** The task's own check, whatever the directory's query did: capabilities and attributes hold. */
function fits(task: Task, a: AgentRecord): boolean {
  for (const c of task.capabilities) if (!a.capabilities.includes(c)) return false;
  for (const [k, v] of Object.entries(task.attributes)) if (a.attributes[k] !== v) return false;
  return true;
}
