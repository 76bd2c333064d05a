import { SwarmError } from "@swarmlink/protocol";

/** Between two heartbeats of an agent, in ms. */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 1000;
/** Deadline of registry, status and election requests made by the SDK, in ms. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
/** Pause between two tries of a registration or an unacknowledged task report, in ms. */
export const DEFAULT_RETRY_MS = 250;
/** Telemetry samples held while the link is slow, per buffer (one conflating, one drop-oldest). */
export const DEFAULT_TELEMETRY_CAPACITY = 256;
/** Samples published between two flushes of the Bus (the link's round trip paces the rest). */
export const DEFAULT_TELEMETRY_BATCH = 64;
/** Command ids (and task attempts) remembered to answer a repeat without running it again. */
export const DEFAULT_RECENT_IDS = 1024;
/** How long `close()` / `drain()` lets running task handlers finish before aborting them, in ms. 0 aborts at once. */
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;

/** A whole number ≥ `min`, or `fallback` when undefined; `E_CONFIG` naming `field` otherwise. */
export function wholeOption(field: string, value: unknown, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new SwarmError("E_CONFIG", `${field} must be a whole number ≥ ${min}`, { field, value });
  }
  return value;
}

/** A boolean, or `fallback` when undefined; `E_CONFIG` naming `field` otherwise. */
function booleanOption(field: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean")
    throw new SwarmError("E_CONFIG", `${field} must be true or false`, { field });
  return value;
}

/** Per-agent tunables, each with its default. */
export interface AgentTuning {
  /** @default 1000 */
  heartbeatIntervalMs?: number;
  /** @default 5000 */
  requestTimeoutMs?: number;
  /** @default 250 */
  retryMs?: number;
  /** Capacity of each telemetry buffer (items; for the conflating one, streams). @default 256 */
  telemetryCapacity?: number;
  /** @default 64 */
  telemetryBatch?: number;
  /** @default 1024 */
  recentIds?: number;
  /** @default 10000, 0 aborts running handlers at once */
  drainTimeoutMs?: number;
  /**
   * Takes the awards the leader makes to this agent in one turn in one AwardBatch request, and sends
   * the reports of one turn in one request (descriptor `awardBatches`); false: one request per award
   * and per report. A message costs about the same whether it carries one task or many, so a busy
   * agent pays far less per task.
   * @default true
   */
  batches?: boolean;
}

export type ParsedTuning = Required<AgentTuning>;

/** Merges `t` with the defaults; `E_CONFIG` naming the field of a bad value. */
export function parseTuning(t: AgentTuning = {}): ParsedTuning {
  return {
    heartbeatIntervalMs: wholeOption(
      "heartbeatIntervalMs",
      t.heartbeatIntervalMs,
      DEFAULT_HEARTBEAT_INTERVAL_MS,
    ),
    requestTimeoutMs: wholeOption("requestTimeoutMs", t.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS),
    retryMs: wholeOption("retryMs", t.retryMs, DEFAULT_RETRY_MS),
    telemetryCapacity: wholeOption("telemetryCapacity", t.telemetryCapacity, DEFAULT_TELEMETRY_CAPACITY),
    telemetryBatch: wholeOption("telemetryBatch", t.telemetryBatch, DEFAULT_TELEMETRY_BATCH),
    recentIds: wholeOption("recentIds", t.recentIds, DEFAULT_RECENT_IDS),
    drainTimeoutMs: wholeOption("drainTimeoutMs", t.drainTimeoutMs, DEFAULT_DRAIN_TIMEOUT_MS, 0),
    batches: booleanOption("batches", t.batches, true),
  };
}
