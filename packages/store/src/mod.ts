export {
  checkKey,
  checkPrefix,
  DEFAULT_MAX_VALUE_BYTES,
  DEFAULT_WATCH_QUEUE_LIMIT,
  isValidKey,
  MAX_KEY_LENGTH,
} from "./keys.js";
export { DEFAULT_HISTORY_LIMIT } from "./memory/history.js";
export type { MemoryStoreOptions } from "./memory/store.js";
export { MemoryStore } from "./memory/store.js";
export type { NatsKvStoreOptions } from "./nats-kv/options.js";
export {
  DEFAULT_NATS_BUCKET,
  DEFAULT_NATS_HISTORY,
  DEFAULT_NATS_REAP_INTERVAL_MS,
} from "./nats-kv/options.js";
export { NatsKvStore } from "./nats-kv/store.js";
export type { RedisStoreOptions } from "./redis/options.js";
export {
  DEFAULT_HISTORY_MAX_LEN,
  DEFAULT_REAP_INTERVAL_MS,
  DEFAULT_REDIS_NAMESPACE,
} from "./redis/options.js";
export { RedisStore } from "./redis/store.js";
export type * from "./types.js";
