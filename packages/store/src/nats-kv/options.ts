import type { NatsConnection } from "@nats-io/transport-node";
import { type Clock, SwarmError, systemClock } from "@swarmlink/protocol";
import { DEFAULT_MAX_VALUE_BYTES, DEFAULT_WATCH_QUEUE_LIMIT } from "../keys.js";
import { intOption, nameOption } from "../options.js";

/** Default bucket: the stream is `KV_swarmlink`. */
export const DEFAULT_NATS_BUCKET = "swarmlink";
/** Default revisions kept per key, for `watch({ fromRevision })` replay (NATS KV allows 1–64). */
export const DEFAULT_NATS_HISTORY = 16;
/** Default time between two runs of this instance's lease reaper, in ms. */
export const DEFAULT_NATS_REAP_INTERVAL_MS = 250;
/** Room kept under the server's max_payload for headers, in bytes. */
export const HEADER_ROOM_BYTES = 1024;

export interface NatsKvStoreOptions {
  /** Servers to connect to (`nats://host:port`); the store owns that connection. Give this or `connection`. */
  servers?: string | string[];
  /** A connection to use; the store does not close it. */
  connection?: NatsConnection;
  /** The KV bucket; made if missing (with `history` and `replicas`), else used as it is. @default "swarmlink" */
  bucket?: string;
  /** Revisions kept per key when the bucket is made (1–64). @default 16 */
  history?: number;
  /** Stream replicas when the bucket is made (1, 3 or 5). @default 1 */
  replicas?: number;
  /**
   * Largest value accepted, in bytes; clamped to the server's max_payload less 1 KiB for headers.
   * @default 1 MiB (so 1 MiB − 1 KiB on a default server)
   */
  maxValueBytes?: number;
  /**
   * Time between two runs of this instance's reaper, which writes the `expire` marker of a lease
   * that ran out; any instance may run it, a revision-conditional write keeps it to one marker.
   * 0 turns it off here. @default 250
   */
  reapIntervalMs?: number;
  /** Most changes a watch holds unread before it fails with `E_OVERFLOW`. @default 10_000 */
  watchQueueLimit?: number;
  /** Reads time for lease deadlines and drives the reaper; must be wall-clock time. @default systemClock */
  clock?: Clock;
  /** Gives up connecting (and opening the bucket) when it fires: `E_ABORTED`, or its SwarmError reason. */
  signal?: AbortSignal;
}

export interface ParsedNatsKvOptions {
  servers: string | string[] | undefined;
  connection: NatsConnection | undefined;
  bucket: string;
  history: number;
  replicas: number;
  maxValueBytes: number;
  reapIntervalMs: number;
  watchQueueLimit: number;
  clock: Clock;
}

/** Merges `opts` with the defaults; `E_CONFIG` naming the field for a bad value or combination. */
export function parseNatsKvOptions(opts: NatsKvStoreOptions): ParsedNatsKvOptions {
  if ((opts.servers === undefined) === (opts.connection === undefined)) {
    throw new SwarmError("E_CONFIG", "give exactly one of servers and connection", { field: "servers" });
  }
  const replicas = intOption("replicas", opts.replicas, 1, 1, 5);
  if (replicas % 2 === 0) throw new SwarmError("E_CONFIG", "replicas is 1, 3 or 5", { field: "replicas" });
  return {
    servers: opts.servers,
    connection: opts.connection,
    bucket: nameOption("bucket", opts.bucket ?? DEFAULT_NATS_BUCKET, /^[-\w]{1,64}$/),
    history: intOption("history", opts.history, DEFAULT_NATS_HISTORY, 1, 64),
    replicas,
    maxValueBytes: intOption("maxValueBytes", opts.maxValueBytes, DEFAULT_MAX_VALUE_BYTES, 0),
    reapIntervalMs: intOption("reapIntervalMs", opts.reapIntervalMs, DEFAULT_NATS_REAP_INTERVAL_MS, 0),
    watchQueueLimit: intOption("watchQueueLimit", opts.watchQueueLimit, DEFAULT_WATCH_QUEUE_LIMIT),
    clock: opts.clock ?? systemClock,
  };
}
