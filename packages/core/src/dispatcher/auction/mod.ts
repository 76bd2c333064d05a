/**
 * The contract-net auction: `runAuction` for one task (call for bids, bid window, pick the cheapest),
 * `runBatchAuction` for several waiting tasks (one call for bids each, one allocation of the batch),
 * `answerOffers` / `readOffer` / `encodeBid` for the agent side, and `allocateBatch` for many tasks
 * priced by the dispatcher itself (sequential greedy with re-contracting, or the exact optimum).
 *
 * @module
 */

export type { AllocateBatchOptions, BatchAgent, BatchMode, BatchTask } from "./batch.js";
export { allocateBatch, DEFAULT_MAX_EXACT_CELLS, DEFAULT_MAX_SWAP_PASSES } from "./batch.js";
export type { BatchAuctionOptions, BatchAuctionResult } from "./batch-auction.js";
export { runBatchAuction } from "./batch-auction.js";
export type { BidderOptions, PriceFn } from "./bidder.js";
export { answerOffers } from "./bidder.js";
export type { AuctionOptions, ParsedAuctionOptions } from "./options.js";
export {
  DEFAULT_BID_WINDOW_MS,
  DEFAULT_MAX_BID_BYTES,
  MAX_BID_WINDOW_MS,
  MAX_ROUND,
  parseAuctionOptions,
} from "./options.js";
export type { AuctionClose, AuctionResult } from "./run.js";
export { runAuction } from "./run.js";
export type { BidExpectation, BidRejection, OfferInit, ReceivedOffer } from "./wire.js";
export { BID_REJECTIONS, encodeBid, encodeOffer, readBid, readOffer } from "./wire.js";
