import { type Clock, isValidId, SwarmError, systemClock, type Task } from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";

/** Default bid window, in ms: long enough for agents on a LAN to price a task and answer. */
export const DEFAULT_BID_WINDOW_MS = 200;
/** Longest bid window accepted, in ms (one minute): an auction is a short call for bids, not a queue. */
export const MAX_BID_WINDOW_MS = 60_000;
/** Default largest bid Envelope read, in bytes; a Bid is a few dozen bytes, so anything bigger is hostile. */
export const DEFAULT_MAX_BID_BYTES = 4096;
/** Largest auction round: `TaskOffer.round` and `Bid.round` are uint32 on the wire. */
export const MAX_ROUND = 0xffff_ffff;

/** Options of {@link runAuction}. */
export interface AuctionOptions {
  /** Offers go out on it and bids come back on it. */
  bus: Bus;
  /** The task to allocate; only `id` (a valid id) is required. It travels whole in every offer. */
  task: Task;
  /**
   * Agent ids invited to bid: capable, online, with a free credit. Only their bids count. Duplicates
   * are ignored; an empty list ends the auction at once with no winner.
   */
  candidates: readonly string[];
  /**
   * How long bids are accepted, in ms, from the moment the offers go out. The auction closes earlier
   * when every candidate has bid.
   * @default 200
   */
  windowMs?: number;
  /** Id of the coordinator running the auction: the offers' `source` and `coordinatorId`. */
  coordinatorId: string;
  /**
   * Auction round, from 1. Re-auctioning a task (after a refusal or a timeout) uses a new round, so
   * that stragglers' bids for the old round are refused.
   * @default 1
   */
  round?: number;
  /** Drives the bid window. @default systemClock */
  clock?: Clock;
  /** Aborts the auction: it rejects with E_ABORTED (or the signal's SwarmError reason). */
  signal?: AbortSignal;
  /**
   * Most bids held at once. Past it the costliest held bid gives way to a cheaper newcomer (overflow
   * policy: keep the cheapest), so the winner is always right; the others are counted in `dropped`.
   * @default candidates.length
   */
  maxBids?: number;
  /**
   * Largest bid Envelope decoded, in bytes; bigger ones are counted as malformed without parsing.
   * @default 4096
   */
  maxBidBytes?: number;
}

/** {@link AuctionOptions} with defaults applied and every value checked. */
export interface ParsedAuctionOptions {
  bus: Bus;
  task: Task;
  /** Distinct candidates, in the order given. */
  candidates: string[];
  windowMs: number;
  coordinatorId: string;
  round: number;
  clock: Clock;
  signal: AbortSignal | undefined;
  maxBids: number;
  maxBidBytes: number;
}

/**
 * Merges `opts` with the defaults and validates them.
 *
 * @throws SwarmError `E_CONFIG` with `context.field` naming the offending option.
 */
export function parseAuctionOptions(opts: AuctionOptions): ParsedAuctionOptions {
  if (typeof opts !== "object" || opts === null) {
    throw new SwarmError("E_CONFIG", "options must be an object", { field: "options" });
  }
  const bus = opts.bus;
  if (typeof bus?.publish !== "function" || typeof bus.subscribe !== "function") {
    throw new SwarmError("E_CONFIG", "bus must implement Bus", { field: "bus" });
  }
  if (typeof opts.task !== "object" || opts.task === null || !isValidId(opts.task.id)) {
    throw new SwarmError("E_CONFIG", "task.id must be a valid id", { field: "task.id" });
  }
  if (!isValidId(opts.coordinatorId)) {
    throw new SwarmError("E_CONFIG", "coordinatorId must be a valid id", { field: "coordinatorId" });
  }
  if (!Array.isArray(opts.candidates)) {
    throw new SwarmError("E_CONFIG", "candidates must be an array of agent ids", { field: "candidates" });
  }
  const candidates = [...new Set(opts.candidates)];
  const bad = candidates.find((id) => !isValidId(id));
  if (bad !== undefined) {
    throw new SwarmError("E_CONFIG", "every candidate must be a valid agent id", {
      field: "candidates",
      value: bad,
    });
  }
  const windowMs = whole("windowMs", opts.windowMs ?? DEFAULT_BID_WINDOW_MS, 1, MAX_BID_WINDOW_MS);
  const round = whole("round", opts.round ?? 1, 1, MAX_ROUND);
  const maxBids = whole("maxBids", opts.maxBids ?? Math.max(1, candidates.length), 1);
  const maxBidBytes = whole("maxBidBytes", opts.maxBidBytes ?? DEFAULT_MAX_BID_BYTES, 64);
  const clock = opts.clock ?? systemClock;
  if (typeof clock.now !== "function" || typeof clock.setTimeout !== "function") {
    throw new SwarmError("E_CONFIG", "clock must implement Clock", { field: "clock" });
  }
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) {
    throw new SwarmError("E_CONFIG", "signal must be an AbortSignal", { field: "signal" });
  }
  return {
    bus,
    task: opts.task,
    candidates,
    windowMs,
    coordinatorId: opts.coordinatorId,
    round,
    clock,
    signal: opts.signal,
    maxBids,
    maxBidBytes,
  };
}

function whole(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new SwarmError("E_CONFIG", `${field} must be a whole number in [${min}, ${max}]`, { field, value });
  }
  return value;
}
