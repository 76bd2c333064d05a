import { type Clock, SwarmError, systemClock } from "@swarmlink/protocol";
import type { Redis } from "ioredis";
import { DEFAULT_MAX_VALUE_BYTES, DEFAULT_WATCH_QUEUE_LIMIT } from "../keys.js";
import { intOption, nameOption } from "../options.js";

/** Default namespace: keys are `{swarmlink}:…`. */
export const DEFAULT_REDIS_NAMESPACE = "swarmlink";
/** Default time between two runs of this instance's lease reaper, in ms. */
export const DEFAULT_REAP_INTERVAL_MS = 250;
/** Default changes the stream keeps for replay (approximately: `MAXLEN ~`). */
export const DEFAULT_HISTORY_MAX_LEN = 10_000;
/** Leases expired per reaper run; a longer backlog takes several runs. */
export const REAP_BATCH = 500;
/**
 * Largest `maxValueBytes`: Redis takes at most 512 MB in one argument, and a write goes in one with
 * its line of key, mode and numbers (a few hundred bytes).
 */
export const MAX_REDIS_VALUE_BYTES = 512 * 1024 * 1024 - 1024;

export interface RedisStoreOptions {
  /** `redis://…` to connect to; the store owns that connection. Give `url` or `client`. */
  url?: string;
  /**
   * An ioredis client to use; the store does not close it. Watches read on a connection duplicated
   * from it, which the store does own. A client with a `keyPrefix` is refused.
   */
  client?: Redis;
  /** Names this store's keys `{namespace}:…`; the braces are a Cluster hash tag. @default "swarmlink" */
  namespace?: string;
  /** Largest value accepted, in bytes, at most 512 MiB − 1 KiB (see MAX_REDIS_VALUE_BYTES). @default 1 MiB */
  maxValueBytes?: number;
  /**
   * Time between two runs of this instance's reaper, which deletes expired leases and tells watchers;
   * any instance may run it, runs are idempotent. 0 turns it off here (reads still treat an expired
   * key as absent, but watchers hear of it only from another instance's reaper). @default 250
   */
  reapIntervalMs?: number;
  /** Changes the stream keeps for `watch({ fromRevision })`, approximately. @default 10_000 */
  historyMaxLen?: number;
  /** Most changes a watch holds unread before it fails with `E_OVERFLOW`. @default 10_000 */
  watchQueueLimit?: number;
  /** Drives the reaper's timer. @default systemClock */
  clock?: Clock;
  /** Gives up connecting when it fires (`E_ABORTED`, or its SwarmError reason). */
  signal?: AbortSignal;
}

export interface ParsedRedisOptions {
  url: string | undefined;
  client: Redis | undefined;
  namespace: string;
  maxValueBytes: number;
  reapIntervalMs: number;
  historyMaxLen: number;
  watchQueueLimit: number;
  clock: Clock;
}

/** Merges `opts` with the defaults; `E_CONFIG` naming the field for a bad value or combination. */
export function parseRedisOptions(opts: RedisStoreOptions): ParsedRedisOptions {
  if ((opts.url === undefined) === (opts.client === undefined)) {
    throw new SwarmError("E_CONFIG", "give exactly one of url and client", { field: "url" });
  }
  if (opts.client?.options.keyPrefix) {
    throw new SwarmError("E_CONFIG", "a client with keyPrefix would split a store's keys", {
      field: "client",
    });
  }
  return {
    url: opts.url,
    client: opts.client,
    namespace: nameOption("namespace", opts.namespace ?? DEFAULT_REDIS_NAMESPACE, /^[A-Za-z0-9_.:-]{1,64}$/),
    maxValueBytes: intOption(
      "maxValueBytes",
      opts.maxValueBytes,
      DEFAULT_MAX_VALUE_BYTES,
      0,
      MAX_REDIS_VALUE_BYTES,
    ),
    reapIntervalMs: intOption("reapIntervalMs", opts.reapIntervalMs, DEFAULT_REAP_INTERVAL_MS, 0),
    historyMaxLen: intOption("historyMaxLen", opts.historyMaxLen, DEFAULT_HISTORY_MAX_LEN),
    watchQueueLimit: intOption("watchQueueLimit", opts.watchQueueLimit, DEFAULT_WATCH_QUEUE_LIMIT),
    clock: opts.clock ?? systemClock,
  };
}
