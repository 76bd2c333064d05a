/**
 * @swarmlink/behaviours: XState v5 behaviours bound to Swarmlink agents. `bindBehaviour` turns
 * offers, awards, cancels, commands, presence and leader changes into machine events and the
 * machine's emitted effects into bids, accepts, progress, results and telemetry; the snapshot is
 * persisted in a Store. Ready machines: `worker`, `batteryAware`, `patrol`, `follower`.
 *
 * @module
 */
export type { BoundBehaviour } from "./bind.js";
export { bindBehaviour } from "./bind.js";
export type { Point, SwarmEffect, SwarmEvent } from "./events.js";
export type { BatteryContext, BatteryInput } from "./machines/battery.js";
export { batteryAware } from "./machines/battery.js";
export type { TaskSlot } from "./machines/effects.js";
export type { ExecuteInput } from "./machines/execute.js";
export { defaultExecute } from "./machines/execute.js";
export type { FollowerContext, FollowerInput } from "./machines/follower.js";
export { DEFAULT_STANDOFF_M, follower, goalToward } from "./machines/follower.js";
export type { MoveInput } from "./machines/move.js";
export { defaultMove } from "./machines/move.js";
export type { PatrolContext, PatrolInput } from "./machines/patrol.js";
export { DEFAULT_DWELL_MS, DEFAULT_POSE_STREAM, patrol } from "./machines/patrol.js";
export type { WorkerContext, WorkerInput } from "./machines/worker.js";
export { DEFAULT_BID_TIMEOUT_MS, worker } from "./machines/worker.js";
export type { BindOptions } from "./options.js";
export {
  BEHAVIOUR_KEY_PREFIX,
  DEFAULT_PERSIST_DEBOUNCE_MS,
  DEFAULT_TELEMETRY_STREAM,
} from "./options.js";
