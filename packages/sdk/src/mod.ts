/**
 * @swarmlink/sdk: the agent SDK. `connect()` to a swarm (NATS, or in-process), register agents,
 * publish telemetry, answer commands, run and bid for tasks, join elections. Every export is named
 * here; types follow in `export type`.
 *
 * @module
 */
export type { AgentHost, AgentOptions } from "./agent.js";
export { Agent } from "./agent.js";
export type { WatchAgentsOptions } from "./agents.js";
export { Agents, DEFAULT_PRESENCE_MAX_PENDING } from "./agents.js";
export type { CommandContext, CommandHandler } from "./commands.js";
export type { ConnectOptions } from "./connect.js";
export { connect, DEFAULT_CLIENT_NAME, DEFAULT_SERVERS } from "./connect.js";
export type { AgentLeadership } from "./election.js";
export type { FrameKind } from "./frames.js";
export type { AgentTuning } from "./options.js";
export {
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_RECENT_IDS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_RETRY_MS,
  DEFAULT_TELEMETRY_BATCH,
  DEFAULT_TELEMETRY_CAPACITY,
} from "./options.js";
export type { CommandOptions } from "./swarm.js";
export { Swarm } from "./swarm.js";
export type { TaskContext, TaskHandler } from "./tasks/running.js";
export type { BidFn } from "./tasks/worker.js";
export { COORDINATOR_FENCE_GROUP } from "./tasks/worker.js";
export type { PoseSample, TelemetryOptions, TelemetryStats } from "./telemetry.js";
export type { Credentials, SwarmTransport } from "./transport.js";
export { localTransport, natsTransport } from "./transport.js";
