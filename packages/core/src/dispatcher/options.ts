import { type Clock, isValidId, SwarmError, systemClock } from "@swarmlink/protocol";
import type { Store } from "@swarmlink/store";
import type { Bus } from "@swarmlink/transport";
import type { AgentDirectory, Leadership } from "../types.js";
import { runAuction, runBatchAuction } from "./auction/mod.js";
import type { RunAuction, RunBatchAuction } from "./auction-port.js";
import { type DispatcherLogger, SILENT_DISPATCHER_LOGGER } from "./log.js";

/** Default wait for an agent's answer to an award, in ms. */
export const DEFAULT_ACCEPT_TIMEOUT_MS = 2000;
/** Default awards of a task before it is dead-lettered (a task's own `max_attempts` wins). */
export const DEFAULT_MAX_ATTEMPTS = 3;
/** Default wait before the first retry, in ms; it doubles with every further attempt. */
export const DEFAULT_BASE_BACKOFF_MS = 1000;
/** Default longest wait between two attempts, in ms. */
export const DEFAULT_MAX_BACKOFF_MS = 30_000;
/** Default random spread added to a backoff, as a fraction of it (0.2: up to 20% longer). */
export const DEFAULT_BACKOFF_JITTER = 0.2;
/** Default number of finished tasks remembered in memory for `list`. */
export const DEFAULT_RECENT_LIMIT = 1000;
/** Default time between two allocation sweeps (which catch directory changes no event announced), in ms. */
export const DEFAULT_ALLOCATION_SWEEP_INTERVAL_MS = 1000;
/** Default ack wait of the intake consumer, in ms: a submission taken by a leader that died reaches the next one after this. */
export const DEFAULT_INTAKE_ACK_WAIT_MS = 5000;
/**
 * Default submissions the intake consumer holds unacknowledged at once (max ack pending). The
 * submissions taken in one turn are stored in one Store run and awarded in one batch per agent, so
 * this bounds how large a busy dispatcher's batches grow: in the split dispatch bench (20 agents)
 * award and report batches held about 2 tasks at 64 and about 6 at 256, and the nats-server's CPU
 * per task fell from 55–61 to 39–46 µs.
 */
export const DEFAULT_INTAKE_MAX_IN_FLIGHT = 256;
/** Default requests (status, cancel, get, list) handled at once; past it they are refused with E_OVERFLOW. */
export const DEFAULT_MAX_CONCURRENT_REQUESTS = 4096;
/** Default of `batchAuctions`: auction tasks waiting together are auctioned together. */
export const DEFAULT_BATCH_AUCTIONS = true;
/** Name of the durable intake consumer on `SWARM_TASKS`. */
export const INTAKE_CONSUMER = "dispatcher";

/** Options of {@link Dispatcher}. */
export interface DispatcherOptions {
  bus: Bus;
  /** Where task records live (`tasks.{id}`); shared by every replica. */
  store: Store;
  /** Capable, online agents and their credits; presence changes. */
  directory: AgentDirectory;
  /** This replica's handle on the `dispatcher` election; the dispatcher works only while it leads. */
  leadership: Leadership;
  /** This replica's id: `Award.coordinatorId` and the `source` of its Envelopes. */
  coordinatorId: string;
  /** Drives every timer (deadlines, backoff, accept timeouts, sweeps). @default systemClock */
  clock?: Clock;
  /** Wait for an agent's answer to an award, in ms. @default 2000 */
  acceptTimeoutMs?: number;
  /** Bid window of an auction, in ms. @default the auction module's default (200) */
  bidWindowMs?: number;
  /** Awards of a task before it is dead-lettered, unless the task says otherwise. @default 3 */
  maxAttempts?: number;
  /** Backoff before the first retry, in ms; doubled with every further one. @default 1000 */
  baseBackoffMs?: number;
  /** Longest backoff, in ms. @default 30000 */
  maxBackoffMs?: number;
  /** Random extra backoff, as a fraction of it; 0 turns it off. @default 0.2 */
  backoffJitter?: number;
  /** Finished tasks remembered for `list` (overflow: the oldest is forgotten). @default 1000 */
  recentLimit?: number;
  /** Time between allocation sweeps, in ms; 0 turns sweeps off (events still trigger allocation). @default 1000 */
  sweepIntervalMs?: number;
  /** Ack wait of the intake consumer, in ms. @default 5000 */
  intakeAckWaitMs?: number;
  /** Requests handled at once; more are refused with E_OVERFLOW (the sender retries). @default 4096 */
  maxConcurrentRequests?: number;
  /**
   * Finished task records disappear from the Store this long after they finish, in ms. 0 keeps them
   * forever. Idempotency holds as long as the record does: a key resubmitted after its record is
   * gone runs again.
   * @default 0
   */
  finishedRecordTtlMs?: number;
  /**
   * Runs an auction (contract net); `false` runs `auction` tasks as `queue` tasks.
   * @default `runAuction` (./auction)
   */
  auction?: RunAuction | false;
  /**
   * Auctions the `auction` tasks that wait together in one allocation pass (two or more on the same
   * attempt) as one batch: one call for bids each, then one allocation of the batch over the bids
   * (minimum total cost, each agent given at most its free credits) instead of one auction after the
   * other (each task to the cheapest agent still free, which on geometric costs ends about 38% above
   * the optimum; see packages/core/bench/allocation.bench.ts). `false`: one auction per task.
   * @default true
   */
  batchAuctions?: boolean;
  /**
   * Runs a batch auction; `false` is the same as `batchAuctions: false`. A stand-in `auction` is
   * not used for batches: give a stand-in here too, or turn batching off.
   * @default `runBatchAuction` (./auction)
   */
  batchAuction?: RunBatchAuction | false;
  /** Source of randomness for the jitter, in [0, 1). @default Math.random */
  random?: () => number;
  /** Structured logger (pino-compatible). @default silent */
  log?: DispatcherLogger;
}

/** {@link DispatcherOptions} with defaults applied and every value checked. */
export interface ParsedDispatcherOptions {
  bus: Bus;
  store: Store;
  directory: AgentDirectory;
  leadership: Leadership;
  coordinatorId: string;
  clock: Clock;
  acceptTimeoutMs: number;
  bidWindowMs: number | undefined;
  maxAttempts: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  backoffJitter: number;
  recentLimit: number;
  sweepIntervalMs: number;
  intakeAckWaitMs: number;
  maxConcurrentRequests: number;
  finishedRecordTtlMs: number;
  auction: RunAuction | undefined;
  /** Undefined when auction tasks are auctioned one at a time (or not at all). */
  batchAuction: RunBatchAuction | undefined;
  random: () => number;
  log: DispatcherLogger;
}

/**
 * Merges `opts` with the defaults and validates them.
 *
 * @throws SwarmError `E_CONFIG` with `context.field` naming the offending option.
 */
export function parseDispatcherOptions(opts: DispatcherOptions): ParsedDispatcherOptions {
  if (typeof opts !== "object" || opts === null) throw config("options", "must be an object");
  need(opts, "bus", typeof opts.bus?.request === "function" && typeof opts.bus?.streams === "object");
  need(opts, "store", typeof opts.store?.get === "function" && typeof opts.store?.create === "function");
  need(opts, "directory", typeof opts.directory?.query === "function");
  need(opts, "leadership", typeof opts.leadership?.assertLeader === "function");
  if (!isValidId(opts.coordinatorId)) throw config("coordinatorId", "must be a valid id");
  const clock = opts.clock ?? systemClock;
  if (typeof clock.now !== "function" || typeof clock.setTimeout !== "function") {
    throw config("clock", "must implement Clock");
  }
  const baseBackoffMs = whole("baseBackoffMs", opts.baseBackoffMs ?? DEFAULT_BASE_BACKOFF_MS, 0);
  const maxBackoffMs = whole("maxBackoffMs", opts.maxBackoffMs ?? DEFAULT_MAX_BACKOFF_MS, 0);
  if (maxBackoffMs < baseBackoffMs) throw config("maxBackoffMs", "must be at least baseBackoffMs");
  const jitter = opts.backoffJitter ?? DEFAULT_BACKOFF_JITTER;
  if (typeof jitter !== "number" || !(jitter >= 0 && jitter <= 1))
    throw config("backoffJitter", "must be in [0, 1]");
  const auction = opts.auction ?? runAuction;
  if (auction !== false && typeof auction !== "function")
    throw config("auction", "must be a function or false");
  const batching = opts.batchAuctions ?? DEFAULT_BATCH_AUCTIONS;
  if (typeof batching !== "boolean") throw config("batchAuctions", "must be a boolean", batching);
  const batchAuction = opts.batchAuction ?? runBatchAuction;
  if (batchAuction !== false && typeof batchAuction !== "function")
    throw config("batchAuction", "must be a function or false");
  const random = opts.random ?? Math.random;
  if (typeof random !== "function") throw config("random", "must be a function");
  const log = opts.log ?? SILENT_DISPATCHER_LOGGER;
  if (typeof log.warn !== "function") throw config("log", "must be a logger (pino-compatible)");
  return {
    bus: opts.bus,
    store: opts.store,
    directory: opts.directory,
    leadership: opts.leadership,
    coordinatorId: opts.coordinatorId,
    clock,
    acceptTimeoutMs: whole("acceptTimeoutMs", opts.acceptTimeoutMs ?? DEFAULT_ACCEPT_TIMEOUT_MS, 1),
    bidWindowMs: opts.bidWindowMs === undefined ? undefined : whole("bidWindowMs", opts.bidWindowMs, 1),
    maxAttempts: whole("maxAttempts", opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS, 1),
    baseBackoffMs,
    maxBackoffMs,
    backoffJitter: jitter,
    recentLimit: whole("recentLimit", opts.recentLimit ?? DEFAULT_RECENT_LIMIT, 0),
    sweepIntervalMs: whole(
      "sweepIntervalMs",
      opts.sweepIntervalMs ?? DEFAULT_ALLOCATION_SWEEP_INTERVAL_MS,
      0,
    ),
    intakeAckWaitMs: whole("intakeAckWaitMs", opts.intakeAckWaitMs ?? DEFAULT_INTAKE_ACK_WAIT_MS, 1),
    maxConcurrentRequests: whole(
      "maxConcurrentRequests",
      opts.maxConcurrentRequests ?? DEFAULT_MAX_CONCURRENT_REQUESTS,
      1,
    ),
    finishedRecordTtlMs: whole("finishedRecordTtlMs", opts.finishedRecordTtlMs ?? 0, 0),
    auction: auction === false ? undefined : auction,
    batchAuction: auction === false || !batching || batchAuction === false ? undefined : batchAuction,
    random,
    log,
  };
}

function need(opts: DispatcherOptions, field: keyof DispatcherOptions, ok: boolean): void {
  if (!ok || opts[field] === undefined) throw config(field, `must implement ${field}`);
}

function whole(field: string, value: unknown, min: number): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw config(field, `must be a whole number ≥ ${min}`, value);
  }
  return value;
}

function config(field: string, reason: string, value?: unknown): SwarmError {
  return new SwarmError("E_CONFIG", `${field} ${reason}`, { field, value });
}
