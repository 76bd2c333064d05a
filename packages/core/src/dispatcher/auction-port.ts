import type { Bid } from "@swarmlink/protocol";
import type { AuctionOptions, AuctionResult } from "./auction/mod.js";

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
