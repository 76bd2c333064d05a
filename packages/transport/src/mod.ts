export type { MemoryBusOptions } from "./memory/bus.js";
export { DEFAULT_MAX_PAYLOAD_BYTES, DEFAULT_REQUEST_TIMEOUT_MS, MemoryBus } from "./memory/bus.js";
export type { NatsBusOptions } from "./nats/bus.js";
export { DEFAULT_MAX_DISCONNECTED_BYTES, NatsBus } from "./nats/bus.js";
export type { BoundedQueueOptions, OverflowPolicy, QueueStats } from "./queue.js";
export { BoundedQueue } from "./queue.js";
export { checkSubject, MAX_SUBJECT_LENGTH, subjectMatches } from "./subject.js";
export { DEFAULT_MAX_PENDING, PushSubscription } from "./subscription.js";
export type * from "./types.js";
