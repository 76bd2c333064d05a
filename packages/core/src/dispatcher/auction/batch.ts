import { SwarmError } from "@swarmlink/protocol";
import { hungarian } from "../../allocation/hungarian.js";
import { type CostMatrix, costMatrix, improveBySwaps } from "./recontract.js";

/** A task waiting for an agent: its id and, optionally, its priority (0–9, higher first). */
export interface BatchTask {
  id: string;
  priority?: number;
}

/** An agent that can take tasks: its id and how many more it can take now (free credits). */
export interface BatchAgent {
  id: string;
  credits: number;
}

/** How {@link allocateBatch} allocates. */
export type BatchMode =
  /** Sequential auction: each task, by priority, to its cheapest agent with a free credit. O(n·m). */
  | "greedy"
  /** Minimum total cost (Hungarian method), most urgent tasks first when credits run short. */
  | "exact"
  /** `exact` while its matrix has at most `maxExactCells` cells, else `greedy`. */
  | "auto";

/** Default bound on the exact mode's cost matrix, in cells (~2 MB; a 100×100 batch is 20,000). */
export const DEFAULT_MAX_EXACT_CELLS = 250_000;
/** Default bound on the greedy mode's improvement passes. */
export const DEFAULT_MAX_SWAP_PASSES = 20;

/** Options of {@link allocateBatch}. */
export interface AllocateBatchOptions {
  /** @default "auto" */
  mode?: BatchMode;
  /**
   * Largest exact problem, in cost-matrix cells: tasks × (credit slots + tasks). `auto` falls back to
   * greedy past it; `exact` refuses with E_TOO_LARGE (the matrix is a buffer like any other).
   * @default 250000
   */
  maxExactCells?: number;
  /**
   * Greedy only: improve the allocation by re-contracting, i.e. pairwise task swaps and moves to an
   * agent with a free credit while one lowers the total cost, at most this many passes (O(n²)
   * each). 0 turns it off (the plain sequential auction).
   * @default 20
   */
  maxSwapPasses?: number;
}

/**
 * Allocates many waiting tasks at once: task id → agent id, each agent given at most its `credits`
 * tasks; tasks no agent can take (cost not finite for every agent with a credit left) are absent.
 *
 * When to use which: a task that arrives alone goes through {@link runAuction} (the agents price it
 * themselves). When several tasks wait at once (a burst of submissions, agents coming back online,
 * a new leader taking over a backlog) the dispatcher can price the pairs itself (e.g. by distance
 * from the registry's positions) and allocate the batch here: `exact` minimises the total cost and
 * is the right choice up to a few hundred tasks; `greedy` is the sequential auction, strictly in
 * priority order, for batches too big for the exact matrix, and its re-contracting passes bring it
 * within a few percent of the optimum on geometric costs (see packages/core/bench/allocation.bench.ts).
 *
 * Costs: `cost(task, agent)` is called once per pair; `Infinity` (or NaN) forbids a pair; a finite
 * cost must be ≥ 0. Equal costs go to the lower agent id (greedy), as in `runAuction`.
 *
 * @throws SwarmError `E_INVALID` for duplicate ids, bad credits or a negative cost; `E_CONFIG` for
 * bad options; `E_TOO_LARGE` for an `exact` problem over `maxExactCells`.
 *
 * @example
 * ```ts
 * const plan = allocateBatch(waiting, idleAgents, (t, a) => distance(t.position, a.position), { mode: "exact" });
 * for (const [taskId, agentId] of plan) await award(taskId, agentId);
 * ```
 */
export function allocateBatch<T extends BatchTask, A extends BatchAgent>(
  tasks: readonly T[],
  agents: readonly A[],
  cost: (task: T, agent: A) => number,
  opts: AllocateBatchOptions = {},
): Map<string, string> {
  const mode = opts.mode ?? "auto";
  if (mode !== "greedy" && mode !== "exact" && mode !== "auto") {
    throw new SwarmError("E_CONFIG", "mode must be greedy, exact or auto", { field: "mode", value: mode });
  }
  const maxCells = whole("maxExactCells", opts.maxExactCells ?? DEFAULT_MAX_EXACT_CELLS);
  const maxPasses = whole("maxSwapPasses", opts.maxSwapPasses ?? DEFAULT_MAX_SWAP_PASSES);
  checkIds("tasks", tasks);
  checkIds("agents", agents);
  const credits = agents.map((a) => {
    if (!Number.isSafeInteger(a.credits) || a.credits < 0) {
      throw new SwarmError("E_INVALID", "credits must be a whole number ≥ 0", {
        field: "credits",
        agentId: a.id,
      });
    }
    return Math.min(a.credits, tasks.length);
  });
  if (tasks.length === 0 || agents.length === 0) return new Map();
  const order = priorityOrder(tasks);
  const slots = credits.reduce((s, c) => s + c, 0);
  const cells = tasks.length * (slots + tasks.length);
  if (mode === "exact" && cells > maxCells) {
    throw new SwarmError("E_TOO_LARGE", "batch too large for the exact mode", {
      cells,
      maxExactCells: maxCells,
    });
  }
  const m = costMatrix(tasks, agents, cost);
  const assigned =
    mode === "greedy" || cells > maxCells
      ? greedy(
          m,
          agents.map((a) => a.id),
          order,
          credits,
          maxPasses,
        )
      : exact(m, tasks, credits, slots);
  const plan = new Map<string, string>();
  for (const i of order) if (assigned[i]! >= 0) plan.set(tasks[i]!.id, agents[assigned[i]!]!.id);
  return plan;
}

/** Task indexes, most urgent first; equal priorities keep their order. */
function priorityOrder(tasks: readonly BatchTask[]): number[] {
  return tasks
    .map((_, i) => i)
    .sort((a, b) => (tasks[b]!.priority ?? 0) - (tasks[a]!.priority ?? 0) || a - b);
}

/** The sequential auction: each task in turn to its cheapest agent with a credit left. */
function greedy(
  m: CostMatrix,
  ids: readonly string[],
  order: number[],
  credits: number[],
  maxPasses: number,
): number[] {
  const left = [...credits];
  const assigned = new Array<number>(m.rows).fill(-1);
  for (const i of order) {
    let best = -1;
    for (let j = 0; j < m.cols; j++) {
      if (left[j]! === 0 || m.at(i, j) === Number.POSITIVE_INFINITY) continue;
      if (best < 0 || m.at(i, j) < m.at(i, best) || (m.at(i, j) === m.at(i, best) && ids[j]! < ids[best]!)) {
        best = j;
      }
    }
    if (best < 0) continue;
    assigned[i] = best;
    left[best]!--;
  }
  if (maxPasses > 0) improveBySwaps(m, assigned, left, maxPasses);
  return assigned;
}

/** Minimum total cost over credit slots, with one "unassigned" column per task priced by urgency. */
function exact(m: CostMatrix, tasks: readonly BatchTask[], credits: number[], slots: number): number[] {
  const slotAgent: number[] = [];
  credits.forEach((c, j) => {
    for (let k = 0; k < c; k++) slotAgent.push(j);
  });
  // Leaving a task out must cost more than any allocation's total, so that as many tasks as possible
  // (the most urgent first) are placed before cost is minimised. Not needed when every task fits.
  const mayLeaveOut = slots < tasks.length || !m.allFinite;
  const big = m.maxFinite * tasks.length + 1;
  const rows = tasks.map((t, i) => {
    const row = slotAgent.map((j) => m.at(i, j));
    const unassigned = big * (1 + (t.priority ?? 0));
    if (mayLeaveOut) for (let k = 0; k < tasks.length; k++) row.push(unassigned);
    return row;
  });
  const { assignment } = hungarian(rows);
  return assignment.map((col) => (col < slots ? slotAgent[col]! : -1));
}

function checkIds(field: string, items: readonly { id: string }[]): void {
  if (!Array.isArray(items)) throw new SwarmError("E_INVALID", `${field} must be an array`, { field });
  const seen = new Set<string>();
  for (const { id } of items) {
    if (seen.has(id)) throw new SwarmError("E_INVALID", `${field} has a duplicate id`, { field, id });
    seen.add(id);
  }
}

function whole(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
    throw new SwarmError("E_CONFIG", `${field} must be a whole number ≥ 0`, { field, value });
  }
  return value;
}
