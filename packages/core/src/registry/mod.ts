/**
 * Registry and presence: agents register a descriptor and heartbeat; the leader's registry moves
 * them online → suspect → offline; every node answers queries (capabilities, attributes, status,
 * radius, box, k nearest) from an in-memory index kept current by watching the Store. The wire
 * contract is on {@link Registry}.
 *
 * @module
 */

export type { AgentInfoInit, DescriptorInit, IndexedAgent } from "./agent.js";
export { agentFromInfo, infoOf } from "./agent.js";
export type { AgentIndexOptions, HeartbeatOutcome } from "./agent-index.js";
export { AgentIndex, DEFAULT_MAX_PENDING_HEARTBEATS } from "./agent-index.js";
export type { RegistryCallOptions } from "./client.js";
export { deregisterAgent, queryAgents, registerAgent, remoteError, sendHeartbeat } from "./client.js";
export type { RegistryCounters } from "./context.js";
export type { PositionInit, PresenceInit } from "./convert.js";
export { kindName, pointOf, presenceEventOf, statusCode, statusName } from "./convert.js";
export {
  checkDescriptor,
  checkPosition,
  MAX_ATTRIBUTES,
  MAX_CAPABILITIES,
  MAX_TERM_LENGTH,
} from "./descriptor.js";
export type { GeoOrigin } from "./geo.js";
export { EARTH_RADIUS_M, projectGeo } from "./geo.js";
export type { GridHit } from "./grid.js";
export { SpatialGrid } from "./grid.js";
export type { RegistryLogger } from "./log.js";
export { NOOP_LOGGER } from "./log.js";
export type { ParsedRegistryOptions, RegistryOptions } from "./options.js";
export {
  DEFAULT_CAS_ATTEMPTS,
  DEFAULT_CELL_SIZE_M,
  DEFAULT_MAX_REPLY_AGENTS,
  DEFAULT_NODE_ID,
  DEFAULT_OFFLINE_AFTER_MS,
  DEFAULT_REREGISTER_COOLDOWN_MS,
  DEFAULT_SUSPECT_AFTER_MS,
  DEFAULT_SWEEP_CONCURRENCY,
  DEFAULT_SWEEP_INTERVAL_MS,
  parseRegistryOptions,
  REGISTRY_QUEUE,
} from "./options.js";
export type { PresenceVersion } from "./order.js";
export { comparePresence, isNewerPresence } from "./order.js";
export { checkQuery } from "./query-check.js";
export type { WireAgentQuery } from "./query-wire.js";
export { fromWireQuery, toWireQuery } from "./query-wire.js";
export { isReregisterRequest, PRESENCE_REASONS } from "./reasons.js";
export type { RegistryStats } from "./registry.js";
export { Registry, WATCH_RETRY_MS } from "./registry.js";
export type { SimulatedAgentOptions } from "./testing.js";
export { SimulatedAgent } from "./testing.js";
