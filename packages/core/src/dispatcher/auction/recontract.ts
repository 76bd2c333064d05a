import { SwarmError } from "@swarmlink/protocol";

/** Costs of every task × agent pair, computed once; `Infinity` marks a forbidden pair. */
export interface CostMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Largest finite cost (0 when none is finite). */
  readonly maxFinite: number;
  /** No pair is forbidden. */
  readonly allFinite: boolean;
  at(task: number, agent: number): number;
}

/**
 * Prices every pair once.
 *
 * @throws SwarmError `E_INVALID` when a cost is a finite negative number (or not a number at all).
 */
export function costMatrix<T extends { id: string }, A extends { id: string }>(
  tasks: readonly T[],
  agents: readonly A[],
  cost: (task: T, agent: A) => number,
): CostMatrix {
  const rows = tasks.length;
  const cols = agents.length;
  const cells = new Float64Array(rows * cols);
  let maxFinite = 0;
  let allFinite = true;
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) {
      const c = cost(tasks[i]!, agents[j]!);
      if (typeof c !== "number" || c < 0) {
        throw new SwarmError("E_INVALID", "a cost must be a number ≥ 0 (Infinity forbids the pair)", {
          field: "cost",
          taskId: tasks[i]!.id,
          agentId: agents[j]!.id,
          cost: c,
        });
      }
      const v = Number.isFinite(c) ? c : Number.POSITIVE_INFINITY;
      if (v === Number.POSITIVE_INFINITY) allFinite = false;
      else if (v > maxFinite) maxFinite = v;
      cells[i * cols + j] = v;
    }
  }
  return { rows, cols, maxFinite, allFinite, at: (i, j) => cells[i * cols + j]! };
}

/**
 * Re-contracting, as contract-net agents do after a round of one-task awards: moves a task to an
 * agent with a free credit, or swaps the agents of two tasks, whenever that lowers the total cost;
 * repeats until a pass changes nothing or `maxPasses` is reached. The set of placed tasks never
 * changes, so priorities decided by the sequential auction stand. O(n·(n + m)) per pass.
 *
 * @param assigned agent index per task (-1: none), updated in place.
 * @param left free credits per agent, updated in place.
 * @returns the passes made.
 */
export function improveBySwaps(m: CostMatrix, assigned: number[], left: number[], maxPasses: number): number {
  const placed = assigned.flatMap((a, i) => (a >= 0 ? [i] : []));
  let pass = 0;
  while (pass < maxPasses) {
    pass++;
    let improved = false;
    for (let x = 0; x < placed.length; x++) {
      const i = placed[x]!;
      for (let j = 0; j < m.cols; j++) {
        const a = assigned[i]!;
        if (left[j]! > 0 && j !== a && gains(m.at(i, j) - m.at(i, a), m.at(i, a))) {
          left[a]!++;
          left[j]!--;
          assigned[i] = j;
          improved = true;
        }
      }
      for (let y = x + 1; y < placed.length; y++) {
        const k = placed[y]!;
        const a = assigned[i]!;
        const b = assigned[k]!;
        if (a === b) continue;
        const now = m.at(i, a) + m.at(k, b);
        if (gains(m.at(i, b) + m.at(k, a) - now, now)) {
          assigned[i] = b;
          assigned[k] = a;
          improved = true;
        }
      }
    }
    if (!improved) break;
  }
  return pass;
}

/** A change `delta` to a total `now` is an improvement beyond rounding noise. */
function gains(delta: number, now: number): boolean {
  return delta < -1e-9 * (1 + Math.abs(now));
}
