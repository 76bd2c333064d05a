import { headers, type MsgHdrs } from "@nats-io/transport-node";
import type { Change, ChangeOp } from "../types.js";

/** NATS KV's own operation header: `DEL` or `PURGE` marks a removed key. */
export const KV_OPERATION = "KV-Operation";
/** The lease of a PUT, in ms from the message's server timestamp. */
export const TTL_HEADER = "Swarmlink-TTL";
/** On a `DEL` marker: `expire` when the reaper (not a caller) removed the key. */
export const REASON_HEADER = "Swarmlink-Reason";

/**
 * One message of the bucket's stream, read back as a Store record. Values stay raw (other NATS KV
 * clients read them as they are); the lease lives in a header, and its deadline counts from the
 * server's timestamp, so every instance computes the same one.
 */
export interface KvRecord {
  key: string;
  revision: number;
  op: ChangeOp;
  value: Uint8Array;
  /** Epoch ms (server time) after which a `put` is expired; undefined without a lease. */
  deadlineMs: number | undefined;
}

export interface RawMsg {
  subject: string;
  seq: number;
  headers: MsgHdrs | undefined;
  data: Uint8Array;
  timeMs: number;
}

/** The record in `m`, for a bucket whose subjects start with `subjectPrefix` (`$KV.<bucket>.`). */
export function toRecord(m: RawMsg, subjectPrefix: string): KvRecord {
  const kvOp = m.headers?.get(KV_OPERATION) ?? "";
  let op: ChangeOp = "put";
  if (kvOp === "DEL" || kvOp === "PURGE")
    op = m.headers?.get(REASON_HEADER) === "expire" ? "expire" : "delete";
  const ttl = Number(m.headers?.get(TTL_HEADER) ?? "");
  return {
    key: m.subject.slice(subjectPrefix.length),
    revision: m.seq,
    op,
    // A plain Uint8Array view (nats.js may hand out a Buffer), whatever the path it came by.
    value: new Uint8Array(m.data.buffer, m.data.byteOffset, m.data.byteLength),
    deadlineMs: op === "put" && ttl > 0 ? m.timeMs + ttl : undefined,
  };
}

/** True for a `put` whose lease (if any) has not run out at `nowMs`. */
export function isLive(r: KvRecord, nowMs: number): boolean {
  return r.op === "put" && (r.deadlineMs === undefined || r.deadlineMs > nowMs);
}

/** The change a watcher sees for `r`. */
export function toChange(r: KvRecord): Change {
  const c: Change = { key: r.key, op: r.op, revision: r.revision };
  if (r.op === "put") c.value = r.value;
  return c;
}

/** Headers for a PUT with a lease of `ttlMs` (0: none). */
export function putHeaders(ttlMs: number): MsgHdrs | undefined {
  if (ttlMs <= 0) return undefined;
  const h = headers();
  h.set(TTL_HEADER, String(ttlMs));
  return h;
}

/** Headers for a `DEL` marker: a caller's delete, or the reaper's expire. */
export function removeHeaders(op: "delete" | "expire"): MsgHdrs {
  const h = headers();
  h.set(KV_OPERATION, "DEL");
  if (op === "expire") h.set(REASON_HEADER, "expire");
  return h;
}
