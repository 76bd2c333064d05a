/**
 * Commands to agents: request / reply with a deadline, a durable per-agent queue for offline
 * agents (with conflation and idempotency keys), delivery on reconnect, and receipts to watch.
 * `CommandRouter` runs in every swarm node; `CommandClient` is what operators, bots and the CLI use.
 *
 * @module
 */
export type { CommandClientOptions, SendCommandOptions } from "./client.js";
export {
  CommandClient,
  DEFAULT_ISSUER,
  DEFAULT_SEND_TIMEOUT_MS,
  DEFAULT_WATCH_POLL_MS,
  encodeArgs,
} from "./client.js";
export { commandIdFor, consumerNameFor, isCommandId, MAX_IDEMPOTENCY_KEY_BYTES } from "./ids.js";
export type { CommandLogger } from "./log.js";
export { SILENT_LOGGER } from "./log.js";
export type { CommandRouterOptions, ParsedRouterOptions } from "./options.js";
export {
  DEFAULT_ANSWER_WITHIN_MS,
  DEFAULT_AUTHORITY_CHECK_MS,
  DEFAULT_DELIVERY_TIMEOUT_MS,
  DEFAULT_MAX_CONCURRENT_DRAINS,
  DEFAULT_MAX_IN_FLIGHT,
  DEFAULT_MAX_QUEUED_PER_AGENT,
  DEFAULT_MAX_TTL_MS,
  DEFAULT_NODE_ID,
  DEFAULT_RECEIPT_GRACE_MS,
  parseRouterOptions,
} from "./options.js";
export type { CommandRouterSnapshot, CommandRouterStats } from "./parts.js";
export type { QueueEntry } from "./queue-index.js";
export { decodeQueueIndex, encodeQueueIndex } from "./queue-index.js";
export { expiredReply } from "./receipts.js";
export { CommandRouter } from "./router.js";
export type { ExpiryReason } from "./wire.js";
export { COMMAND_QUEUE_GROUP, CONFLATE_HEADER, EXPIRY_REASONS, isSettled, stateRank } from "./wire.js";
