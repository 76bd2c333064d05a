import { setMaxListeners } from "node:events";
import { abortError, SwarmError, type Task } from "@swarmlink/protocol";
import { type AllocateBatchOptions, allocateBatch } from "./batch.js";
import type { AuctionOptions } from "./options.js";
import { type AuctionResult, runAuction } from "./run.js";

/** Options of {@link runBatchAuction}: those of `runAuction`, for many tasks at once. */
export interface BatchAuctionOptions
  extends Omit<AuctionOptions, "task" | "candidates" | "maxBids">,
    AllocateBatchOptions {
  /** The waiting tasks; their `priority` decides who goes first when credits run short. */
  tasks: readonly Task[];
  /** Agents invited to bid for a task: one list for all, or a list per task (capability matching). */
  candidates: readonly string[] | ((task: Task) => readonly string[]);
  /**
   * Free credits of an agent: how many of these tasks it may be given.
   * @default () => 1
   */
  credits?: (agentId: string) => number;
}

/** The outcome of {@link runBatchAuction}. */
export interface BatchAuctionResult {
  /** Task id → the agent it goes to and that agent's bid. Tasks nobody can take are absent. */
  awards: Map<string, { agentId: string; cost: number }>;
  /** Every task's own auction, by task id (bids, late and invalid counts). */
  auctions: Map<string, AuctionResult>;
}

/**
 * Auctions several waiting tasks together: one call for bids per task, all in the same window, then
 * one allocation of the whole batch over the bids (`allocateBatch`, exact by default while small).
 * A bid is a price, not a commitment, so an agent may bid for every task it is offered; the
 * allocation gives it at most `credits(agentId)` of them.
 *
 * Why: one-task auctions run back to back hand each task to the cheapest agent still free, which
 * on geometric costs ends about 38% above the optimal total (the last tasks get whoever is left);
 * the same bids allocated together reach the optimum. Use it whenever more than one auction task is
 * waiting for the same agents; see packages/core/bench/allocation.bench.ts.
 *
 * @throws as `runAuction` (the first failure aborts every auction of the batch).
 *
 * @example
 * ```ts
 * const { awards } = await runBatchAuction({ bus, tasks: waiting, candidates: idle, coordinatorId: "node-1" });
 * for (const [taskId, { agentId }] of awards) await award(taskId, agentId);
 * ```
 */
export async function runBatchAuction(opts: BatchAuctionOptions): Promise<BatchAuctionResult> {
  const {
    tasks,
    candidates,
    credits = () => 1,
    signal,
    mode,
    maxExactCells,
    maxSwapPasses,
    ...common
  } = opts;
  if (!Array.isArray(tasks)) throw new SwarmError("E_CONFIG", "tasks must be an array", { field: "tasks" });
  if (new Set(tasks.map((t) => t.id)).size !== tasks.length) {
    throw new SwarmError("E_CONFIG", "tasks must have distinct ids", { field: "tasks" });
  }
  if (signal?.aborted) throw abortError(signal);
  const inner = new AbortController();
  setMaxListeners(tasks.length + 1, inner.signal); // one listener per auction is expected, not a leak
  const onAbort = () => inner.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  const invited = typeof candidates === "function" ? candidates : () => candidates;
  let firstError: { err: unknown } | undefined;
  const settled = await Promise.allSettled(
    tasks.map((task) =>
      runAuction({ ...common, task, candidates: invited(task), signal: inner.signal }).catch(
        (err: unknown) => {
          firstError ??= { err };
          inner.abort(err); // one failure ends the batch: release every other auction at once
          throw err;
        },
      ),
    ),
  );
  signal?.removeEventListener("abort", onAbort);
  if (firstError) throw firstError.err;

  const auctions = new Map<string, AuctionResult>();
  const prices = new Map<string, Map<string, number>>();
  const bidders = new Set<string>();
  settled.forEach((s, i) => {
    const r = (s as PromiseFulfilledResult<AuctionResult>).value;
    const id = tasks[i]!.id;
    auctions.set(id, r);
    prices.set(id, new Map(r.bids.map((b) => [b.agentId, b.cost])));
    for (const b of r.bids) bidders.add(b.agentId);
  });
  const agents = [...bidders].map((id) => ({ id, credits: credits(id) }));
  const plan = allocateBatch(
    tasks,
    agents,
    (t, a) => prices.get(t.id)?.get(a.id) ?? Number.POSITIVE_INFINITY,
    { mode, maxExactCells, maxSwapPasses },
  );
  const awards = new Map<string, { agentId: string; cost: number }>();
  for (const [taskId, agentId] of plan)
    awards.set(taskId, { agentId, cost: prices.get(taskId)!.get(agentId)! });
  return { awards, auctions };
}
