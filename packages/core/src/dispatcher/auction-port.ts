import type { Bid, Task } from "@swarmlink/protocol";
import type { AuctionOptions, AuctionResult, BatchAuctionOptions } from "./auction/mod.js";

/**
 * What the dispatcher hands an auction: the part of `runAuction`'s options it sets (contract net: a
 * `TaskOffer` on `subjects.agentTaskOffer(id)` to each candidate — capable, online, with a free
 * credit — and `Bid`s back on `subjects.taskBid(taskId)` until the window closes). `round` is the
 * attempt the award would be.
 */
export type AuctionRequest = Pick<
  AuctionOptions,
  "bus" | "task" | "candidates" | "windowMs" | "coordinatorId" | "round" | "clock" | "signal"
>;

/** What the dispatcher reads of an auction's result: the bids, best first. */
export type AuctionOutcome = Pick<AuctionResult, "winner" | "cost"> & {
  bids: readonly Pick<Bid, "agentId" | "cost">[];
};

/**
 * Runs one auction (`runAuction` of ./auction, or a stand-in). The dispatcher awards the best bidder
 * that is still online with a free credit, or, when there is none, falls back to `queue`.
 */
export type RunAuction = (req: AuctionRequest) => Promise<AuctionOutcome>;

/**
 * What the dispatcher hands a batch auction: the part of `runBatchAuction`'s options it sets. Every
 * task of one batch is on the same attempt, `round`. `candidates(task)` are the task's capable,
 * online agents that had a free credit when the batch started; `credits(agentId)` is the agent's
 * free credits (credits − tasks holding one) when it is asked, after the bid window.
 */
export type BatchAuctionRequest = Pick<
  BatchAuctionOptions,
  "bus" | "tasks" | "windowMs" | "coordinatorId" | "round" | "clock" | "signal"
> & {
  candidates: (task: Task) => readonly string[];
  credits: (agentId: string) => number;
};

/**
 * What the dispatcher reads of a batch auction's result: the allocation (task id → agent, each agent
 * given at most its free credits) and, optionally, each task's bids, best first (the fallbacks when
 * an allocated agent lost its credit or went offline meanwhile).
 */
export interface BatchAuctionOutcome {
  awards: ReadonlyMap<string, { agentId: string; cost: number }>;
  auctions?: ReadonlyMap<string, { bids: readonly Pick<Bid, "agentId" | "cost">[] }>;
}

/**
 * Runs one auction for several waiting tasks at once (`runBatchAuction` of ./auction, or a
 * stand-in). The dispatcher awards each task to its allocated agent while that agent is still
 * online with a free credit; a task left out falls back to `queue`.
 */
export type RunBatchAuction = (req: BatchAuctionRequest) => Promise<BatchAuctionOutcome>;
