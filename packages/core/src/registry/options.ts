import { type Clock, SwarmError, systemClock, validateId } from "@swarmlink/protocol";
import type { Store } from "@swarmlink/store";
import type { Bus } from "@swarmlink/transport";
import type { Leadership } from "../types.js";
import { type GeoOrigin, parseGeoOrigin } from "./geo.js";
import { NOOP_LOGGER, type RegistryLogger } from "./log.js";

/** Default silence after which the authority marks an online agent suspect, in ms. */
export const DEFAULT_SUSPECT_AFTER_MS = 3000;
/** Default silence (since the last heartbeat, not since suspect) after which an agent goes offline, in ms. */
export const DEFAULT_OFFLINE_AFTER_MS = 10_000;
/** Default time between two presence sweeps of the authority, in ms (half an agent's 1 s heartbeat). */
export const DEFAULT_SWEEP_INTERVAL_MS = 500;
/** Default side of one cell of the spatial grid, in metres. */
export const DEFAULT_CELL_SIZE_M = 10;
/** Default attempts of one compare-and-set write of an agent record before giving up with E_CONFLICT. */
export const DEFAULT_CAS_ATTEMPTS = 8;
/** Default most agents in one AgentList reply (fewer when they would not fit the Bus's payload limit). */
export const DEFAULT_MAX_REPLY_AGENTS = 1000;
/** Default least time between two "re-register" nudges to the same agent, in ms. */
export const DEFAULT_REREGISTER_COOLDOWN_MS = 1000;
/** Default most presence transitions the sweeper writes to the Store at once. */
export const DEFAULT_SWEEP_CONCURRENCY = 32;
/** Default `source` of the envelopes the registry publishes. */
export const DEFAULT_NODE_ID = "swarm";
/** Queue group in which every node serves registrations, deregistrations and queries. */
export const REGISTRY_QUEUE = "swarm-registry";

/** Options of {@link Registry}. */
export interface RegistryOptions {
  bus: Bus;
  store: Store;
  /** Drives the sweeper, lastSeen and every timestamp written. @default systemClock */
  clock?: Clock;
  /**
   * Whether this node may change presence over time (sweep online → suspect → offline, nudge
   * unknown agents to re-register). Give this or `leadership`, not both. Read before every write.
   * @default () => true (a single embedded node)
   */
  isAuthority?: () => boolean;
  /** The node's handle on the coordinator election; `isLeader` then decides authority. */
  leadership?: Leadership;
  /** Silence after which an online agent is marked suspect, in ms. @default 3000 */
  suspectAfterMs?: number;
  /**
   * Silence after which an agent is marked offline, in ms, counted from its last heartbeat like
   * `suspectAfterMs` (so it must exceed it). @default 10000
   */
  offlineAfterMs?: number;
  /** Time between two presence sweeps, in ms. @default 500 */
  sweepIntervalMs?: number;
  /** Side of a spatial grid cell, in metres. @default 10 */
  cellSizeM?: number;
  /**
   * Origin of the site frame for agents that report WGS 84 positions: lat/lon are projected to
   * metres east (x) and north (y) of it. Without it, geo-positioned agents stay out of spatial
   * queries (they still match every other filter). @default undefined
   */
  geoOrigin?: GeoOrigin;
  /** `source` of every envelope this registry publishes or replies with. @default "swarm" */
  nodeId?: string;
  /** Most agents in one AgentList reply. @default 1000 */
  maxReplyAgents?: number;
  /** Least time between two "re-register" nudges to one agent, in ms. 0 nudges on every heartbeat. @default 1000 */
  reregisterCooldownMs?: number;
  /** Compare-and-set attempts per record write. @default 8 */
  casAttempts?: number;
  /** Most presence transitions written at once by a sweep. @default 32 */
  sweepConcurrency?: number;
  /** Structured logger (pino-compatible). @default a logger that drops everything */
  log?: RegistryLogger;
}

/** {@link RegistryOptions} with defaults applied and values checked. */
export interface ParsedRegistryOptions {
  bus: Bus;
  store: Store;
  clock: Clock;
  isAuthority: () => boolean;
  suspectAfterMs: number;
  offlineAfterMs: number;
  sweepIntervalMs: number;
  cellSizeM: number;
  geoOrigin: GeoOrigin | undefined;
  nodeId: string;
  maxReplyAgents: number;
  reregisterCooldownMs: number;
  casAttempts: number;
  sweepConcurrency: number;
  log: RegistryLogger;
}

/**
 * Merges `opts` with the defaults and validates them.
 *
 * @throws SwarmError `E_CONFIG` with `context.field` naming the offending option.
 */
export function parseRegistryOptions(opts: RegistryOptions): ParsedRegistryOptions {
  if (typeof opts !== "object" || opts === null) throw config("options", "must be an object");
  if (typeof opts.bus?.subscribe !== "function") throw config("bus", "must be a Bus");
  if (typeof opts.store?.watch !== "function") throw config("store", "must be a Store");
  const clock = opts.clock ?? systemClock;
  if (typeof clock.now !== "function" || typeof clock.setTimeout !== "function") {
    throw config("clock", "must implement Clock");
  }
  if (opts.isAuthority !== undefined && opts.leadership !== undefined) {
    throw config("isAuthority", "give isAuthority or leadership, not both");
  }
  if (opts.isAuthority !== undefined && typeof opts.isAuthority !== "function") {
    throw config("isAuthority", "must be a function");
  }
  const leadership = opts.leadership;
  const isAuthority = opts.isAuthority ?? (leadership ? () => leadership.isLeader : () => true);
  const suspectAfterMs = whole("suspectAfterMs", opts.suspectAfterMs, DEFAULT_SUSPECT_AFTER_MS, 1);
  const offlineAfterMs = whole("offlineAfterMs", opts.offlineAfterMs, DEFAULT_OFFLINE_AFTER_MS, 1);
  if (offlineAfterMs <= suspectAfterMs) throw config("offlineAfterMs", "must exceed suspectAfterMs");
  const cellSizeM = opts.cellSizeM ?? DEFAULT_CELL_SIZE_M;
  if (typeof cellSizeM !== "number" || !Number.isFinite(cellSizeM) || cellSizeM <= 0) {
    throw config("cellSizeM", "must be a positive number of metres");
  }
  let nodeId: string;
  try {
    nodeId = validateId("nodeId", opts.nodeId ?? DEFAULT_NODE_ID);
  } catch (err) {
    throw new SwarmError("E_CONFIG", "nodeId must be an id", { field: "nodeId" }, { cause: err });
  }
  const log = opts.log ?? NOOP_LOGGER;
  if (typeof log.warn !== "function") throw config("log", "must be a logger (pino-compatible)");
  return {
    bus: opts.bus,
    store: opts.store,
    clock,
    isAuthority,
    suspectAfterMs,
    offlineAfterMs,
    sweepIntervalMs: whole("sweepIntervalMs", opts.sweepIntervalMs, DEFAULT_SWEEP_INTERVAL_MS, 1),
    cellSizeM,
    geoOrigin: opts.geoOrigin === undefined ? undefined : parseGeoOrigin(opts.geoOrigin),
    nodeId,
    maxReplyAgents: whole("maxReplyAgents", opts.maxReplyAgents, DEFAULT_MAX_REPLY_AGENTS, 1),
    reregisterCooldownMs: whole(
      "reregisterCooldownMs",
      opts.reregisterCooldownMs,
      DEFAULT_REREGISTER_COOLDOWN_MS,
      0,
    ),
    casAttempts: whole("casAttempts", opts.casAttempts, DEFAULT_CAS_ATTEMPTS, 1),
    sweepConcurrency: whole("sweepConcurrency", opts.sweepConcurrency, DEFAULT_SWEEP_CONCURRENCY, 1),
    log,
  };
}

function whole(field: string, value: number | undefined, fallback: number, min: number): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min) {
    throw new SwarmError("E_CONFIG", `${field} must be a whole number ≥ ${min}`, { field, value: v });
  }
  return v;
}

function config(field: string, what: string): SwarmError {
  return new SwarmError("E_CONFIG", `${field} ${what}`, { field });
}
