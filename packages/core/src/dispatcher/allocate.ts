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
