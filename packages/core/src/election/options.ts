import { type Clock, SwarmError, systemClock } from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";

/** Default length of a leadership lease, in ms: the coordinator's term lapses this long after its last renewal. */
export const DEFAULT_LEASE_MS = 2000;
/** Default time between two renewals of a held lease (and two acquire attempts of a waiting candidate), in ms. */
export const DEFAULT_RENEW_MS = 500;
/** Default safety margin, as a fraction of the lease: a leader stops trusting its lease this much early. */
export const DEFAULT_SAFETY_MARGIN_RATIO = 0.1;

/** Options of {@link elect}. */
export interface ElectOptions {
  /**
   * How long a lease lasts without renewal, in ms. A crashed leader is replaced within about
   * `leaseMs` after its last renewal (a few `liveness.probeMs` with liveness probes); a paused one
   * within `leaseMs` in any case.
   * @default 2000
   */
  leaseMs?: number;
  /**
   * Time between two renewals while leading, and between two acquire attempts while waiting, in ms.
   * Must be less than half of `leaseMs`, so that one lost renewal does not cost the lease.
   * @default 500
   */
  renewMs?: number;
  /**
   * A leader considers its lease gone this long before it runs out by its own clock, in ms, to
   * absorb clock rate drift between it and the store. 0 turns the margin off (not recommended).
   * Must leave `leaseMs - safetyMarginMs > renewMs`.
   * @default leaseMs / 10, rounded up
   */
  safetyMarginMs?: number;
  /** Drives renewals, retries and the local lease deadline. @default systemClock */
  clock?: Clock;
  /** Aborting it closes the election handle (as `close()` does). */
  signal?: AbortSignal;
  /**
   * Detect a dead leader before its lease runs out. The candidate answers liveness probes on this
   * Bus, and while it waits it probes the holder every `probeMs` (default `renewMs / 2`); when the
   * Bus says twice in a row that nobody listens for the holder (its process or connection died) or
   * the holder says it no longer holds the term, the waiting candidate deletes the lease record at
   * the revision it saw (so a renewal in between wins) and campaigns at once. A paused or slow
   * leader still answers nothing rather than "no responders", so it keeps its lease until expiry;
   * a leader deposed while alive is fenced (its next write or award is refused). Without it, a
   * crashed leader is replaced when its lease expires.
   */
  liveness?: { bus: Bus; probeMs?: number };
}

/** {@link ElectOptions} with every default applied and every value checked. */
export interface ParsedElectOptions {
  leaseMs: number;
  renewMs: number;
  safetyMarginMs: number;
  clock: Clock;
  signal: AbortSignal | undefined;
  liveness: { bus: Bus; probeMs: number } | undefined;
}

/** The defaults of {@link ElectOptions}, for documentation and tools. */
export function defaultElectOptions(): ParsedElectOptions {
  return parseElectOptions({});
}

/**
 * Merges `opts` with the defaults and validates them.
 *
 * @throws SwarmError `E_CONFIG` with `context.field` naming the offending option.
 */
export function parseElectOptions(opts: ElectOptions = {}): ParsedElectOptions {
  if (typeof opts !== "object" || opts === null) {
    throw new SwarmError("E_CONFIG", "options must be an object", { field: "options" });
  }
  // The lease travels as ElectionState.lease_ms, a uint32.
  const leaseMs = whole("leaseMs", opts.leaseMs ?? DEFAULT_LEASE_MS, 1, 0xffff_ffff);
  const renewMs = whole("renewMs", opts.renewMs ?? DEFAULT_RENEW_MS, 1);
  if (renewMs * 2 >= leaseMs) {
    throw new SwarmError("E_CONFIG", "renewMs must be less than half of leaseMs", {
      field: "renewMs",
      renewMs,
      leaseMs,
    });
  }
  const margin = opts.safetyMarginMs ?? Math.ceil(leaseMs * DEFAULT_SAFETY_MARGIN_RATIO);
  const safetyMarginMs = whole("safetyMarginMs", margin, 0);
  if (leaseMs - safetyMarginMs <= renewMs) {
    throw new SwarmError("E_CONFIG", "leaseMs - safetyMarginMs must exceed renewMs", {
      field: "safetyMarginMs",
      safetyMarginMs,
      leaseMs,
      renewMs,
    });
  }
  const clock = opts.clock ?? systemClock;
  if (typeof clock.now !== "function" || typeof clock.setTimeout !== "function") {
    throw new SwarmError("E_CONFIG", "clock must implement Clock", { field: "clock" });
  }
  if (opts.signal !== undefined && !(opts.signal instanceof AbortSignal)) {
    throw new SwarmError("E_CONFIG", "signal must be an AbortSignal", { field: "signal" });
  }
  return {
    leaseMs,
    renewMs,
    safetyMarginMs,
    clock,
    signal: opts.signal,
    liveness: parseLiveness(opts, renewMs),
  };
}

function parseLiveness(opts: ElectOptions, renewMs: number): ParsedElectOptions["liveness"] {
  const l = opts.liveness;
  if (l === undefined) return undefined;
  if (typeof l !== "object" || l === null || typeof l.bus?.request !== "function") {
    throw new SwarmError("E_CONFIG", "liveness must be { bus, probeMs? }", { field: "liveness" });
  }
  const probeMs = whole("liveness.probeMs", l.probeMs ?? Math.max(1, Math.floor(renewMs / 2)), 1);
  return { bus: l.bus, probeMs };
}

function whole(field: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new SwarmError("E_CONFIG", `${field} must be a whole number in [${min}, ${max}]`, { field, value });
  }
  return value;
}
