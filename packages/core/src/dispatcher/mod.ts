/**
 * The task dispatcher (runs on the leader): `Dispatcher`, its options and stats, the pure pieces it
 * allocates with, and the port the auction module plugs into. See `Dispatcher` for the wire contract
 * and the guarantees.
 *
 * @module
 */
export { byUrgency, capableAgents, hasFreeCredit, pickLeastLoaded, taskPoint } from "./allocate.js";
export type {
  AuctionOutcome,
  AuctionRequest,
  BatchAuctionOutcome,
  BatchAuctionRequest,
  RunAuction,
  RunBatchAuction,
} from "./auction-port.js";
export { Dispatcher, TAKEOVER_RETRY_MS } from "./dispatcher.js";
export { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT } from "./handlers.js";
export type { RetryPolicy } from "./lifecycle.js";
export { backoffMs } from "./lifecycle.js";
export type { DispatcherLogger } from "./log.js";
export { SILENT_DISPATCHER_LOGGER } from "./log.js";
export type { DispatcherOptions, ParsedDispatcherOptions } from "./options.js";
export {
  DEFAULT_ACCEPT_TIMEOUT_MS,
  DEFAULT_ALLOCATION_SWEEP_INTERVAL_MS,
  DEFAULT_BACKOFF_JITTER,
  DEFAULT_BASE_BACKOFF_MS,
  DEFAULT_BATCH_AUCTIONS,
  DEFAULT_INTAKE_ACK_WAIT_MS,
  DEFAULT_INTAKE_MAX_IN_FLIGHT,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_MAX_BACKOFF_MS,
  DEFAULT_MAX_CONCURRENT_REQUESTS,
  DEFAULT_RECENT_LIMIT,
  INTAKE_CONSUMER,
  parseDispatcherOptions,
} from "./options.js";
export type { ErrorInfo, TaskRecord } from "./record.js";
export { decodeRecord, encodeRecord } from "./record.js";
export type { DispatcherStats } from "./stats.js";
export { LATENCY_SAMPLES } from "./stats.js";
