import { type Clock, SwarmError, systemClock, validateId } from "@swarmlink/protocol";
import type { Store } from "@swarmlink/store";
import type { Bus } from "@swarmlink/transport";
import type { AgentDirectory } from "../types.js";
import { type CommandLogger, SILENT_LOGGER } from "./log.js";

/** Longest TTL a command may ask for, in ms (24 h); also the age bound of the `SWARM_CMDS` stream. */
export const DEFAULT_MAX_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a receipt outlives its command's deadline, in ms (5 min). */
export const DEFAULT_RECEIPT_GRACE_MS = 5 * 60 * 1000;
/** Longest wait for an agent's reply to one delivery, in ms. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 30_000;
/** Most commands waiting for one agent. */
export const DEFAULT_MAX_QUEUED_PER_AGENT = 256;
/** Most send and get requests one router handles at once. */
export const DEFAULT_MAX_IN_FLIGHT = 1024;
/** Most agents whose queues drain at once. */
export const DEFAULT_MAX_CONCURRENT_DRAINS = 8;
/** Time between two reads of `isAuthority`, in ms. */
export const DEFAULT_AUTHORITY_CHECK_MS = 500;
/** How long a caller waits for a receipt when its request envelope names no TTL, in ms. */
export const DEFAULT_ANSWER_WITHIN_MS = 5000;
/** The `Envelope.source` of what a router sends when no `nodeId` is given. */
export const DEFAULT_NODE_ID = "swarm";

/** Options of {@link CommandRouter}. */
export interface CommandRouterOptions {
  bus: Bus;
  /** Holds receipts (`kvKeys.command`) and the per-agent queue indexes (`kvKeys.commandQueue`). */
  store: Store;
  /** Who is online; a `Registry`. Only `get` and `onPresence` are used. */
  directory: AgentDirectory;
  /**
   * Whether this node drains queues and sweeps deadlines: true on the leader only. Read every
   * `authorityCheckMs`, so `() => leadership.isLeader` is enough.
   * @default () => true (a single node)
   */
  isAuthority?: () => boolean;
  /** Drives deadlines, receipt TTLs and the authority check. @default systemClock */
  clock?: Clock;
  /** `Envelope.source` of what this router sends (an id). @default "swarm" */
  nodeId?: string;
  /**
   * Longest TTL a command may ask for, in ms; a longer one is refused with `E_INVALID`, and a
   * command without a deadline gets this one. Also the `maxAgeMs` of the `SWARM_CMDS` stream.
   * @default 86_400_000 (24 h)
   */
  maxTtlMs?: number;
  /**
   * A receipt outlives its command's deadline by this, in ms, so that late watchers and retries
   * with the same idempotency key still find it. Idempotency holds for as long as the receipt.
   * @default 300_000 (5 min)
   */
  receiptGraceMs?: number;
  /**
   * Longest wait for an agent's reply to one delivery, in ms (capped by the command's deadline).
   * A reply that takes longer is not captured: the receipt stays DELIVERED and is swept to
   * EXPIRED at the deadline. Also sets the drain consumer's ack wait (this + 10 s).
   * @default 30_000
   */
  deliveryTimeoutMs?: number;
  /** Most unsettled queued commands per agent; past it a send gets `E_OVERFLOW` (policy: error). @default 256 */
  maxQueuedPerAgent?: number;
  /** Most send and get requests handled at once; past it a request gets `E_OVERFLOW` (policy: error). @default 1024 */
  maxInFlight?: number;
  /** Most agents whose queues the leader drains at once; the others wait their turn. @default 8 */
  maxConcurrentDrains?: number;
  /** Time between two reads of `isAuthority`, in ms. @default 500 */
  authorityCheckMs?: number;
  /** JetStream replicas of `SWARM_CMDS`, in a NATS cluster. @default 1 */
  streamReplicas?: number;
  /** Structured logs. @default silent */
  log?: CommandLogger;
}

/** {@link CommandRouterOptions} with every default applied and every value checked. */
export interface ParsedRouterOptions {
  bus: Bus;
  store: Store;
  directory: AgentDirectory;
  isAuthority: () => boolean;
  clock: Clock;
  nodeId: string;
  maxTtlMs: number;
  receiptGraceMs: number;
  deliveryTimeoutMs: number;
  ackWaitMs: number;
  maxQueuedPerAgent: number;
  maxInFlight: number;
  maxConcurrentDrains: number;
  authorityCheckMs: number;
  streamReplicas: number;
  log: CommandLogger;
}

/**
 * Merges `opts` with the defaults and validates them.
 * @throws SwarmError `E_CONFIG` with `context.field` naming the offending option.
 */
export function parseRouterOptions(opts: CommandRouterOptions): ParsedRouterOptions {
  if (typeof opts !== "object" || opts === null) config("options", "must be an object");
  if (!opts.bus || typeof opts.bus.request !== "function") config("bus", "must be a Bus");
  if (!opts.store || typeof opts.store.update !== "function") config("store", "must be a Store");
  if (!opts.directory || typeof opts.directory.onPresence !== "function") {
    config("directory", "must be an AgentDirectory");
  }
  if (opts.isAuthority !== undefined && typeof opts.isAuthority !== "function") {
    config("isAuthority", "must be a function");
  }
  const clock = opts.clock ?? systemClock;
  if (typeof clock.now !== "function" || typeof clock.setTimeout !== "function")
    config("clock", "must be a Clock");
  const nodeId = opts.nodeId ?? DEFAULT_NODE_ID;
  try {
    validateId("nodeId", nodeId);
  } catch (err) {
    config("nodeId", (err as Error).message);
  }
  const deliveryTimeoutMs = whole(
    "deliveryTimeoutMs",
    opts.deliveryTimeoutMs,
    DEFAULT_DELIVERY_TIMEOUT_MS,
    1,
  );
  return {
    bus: opts.bus,
    store: opts.store,
    directory: opts.directory,
    isAuthority: opts.isAuthority ?? (() => true),
    clock,
    nodeId,
    maxTtlMs: whole("maxTtlMs", opts.maxTtlMs, DEFAULT_MAX_TTL_MS, 1),
    receiptGraceMs: whole("receiptGraceMs", opts.receiptGraceMs, DEFAULT_RECEIPT_GRACE_MS, 0),
    deliveryTimeoutMs,
    ackWaitMs: deliveryTimeoutMs + 10_000,
    maxQueuedPerAgent: whole("maxQueuedPerAgent", opts.maxQueuedPerAgent, DEFAULT_MAX_QUEUED_PER_AGENT, 1),
    maxInFlight: whole("maxInFlight", opts.maxInFlight, DEFAULT_MAX_IN_FLIGHT, 1),
    maxConcurrentDrains: whole(
      "maxConcurrentDrains",
      opts.maxConcurrentDrains,
      DEFAULT_MAX_CONCURRENT_DRAINS,
      1,
    ),
    authorityCheckMs: whole("authorityCheckMs", opts.authorityCheckMs, DEFAULT_AUTHORITY_CHECK_MS, 1),
    streamReplicas: whole("streamReplicas", opts.streamReplicas, 1, 1, 5),
    log: opts.log ?? SILENT_LOGGER,
  };
}

/** A whole number option in `[min, max]`, or its default when absent. */
export function whole(
  field: string,
  value: unknown,
  fallback: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
    throw new SwarmError("E_CONFIG", `${field} must be a whole number in [${min}, ${max}]`, { field, value });
  }
  return v;
}

function config(field: string, why: string): never {
  throw new SwarmError("E_CONFIG", `${field} ${why}`, { field });
}
