import type { JetStreamClient } from "@nats-io/jetstream";
import type { ChangeOp } from "../types.js";
import { type KvRecord, toRecord } from "./codec.js";
import { openTap, type Tap } from "./tap.js";

interface Known {
  revision: number;
  op: ChangeOp;
  deadlineMs: number | undefined;
}

export interface LeaseIndexOptions {
  js: JetStreamClient;
  stream: string;
  subjectPrefix: string;
  /** The index's consumer ended: the connection closed or the bucket went away. */
  onEnd: (err: Error | undefined) => void;
}

/**
 * What this instance knows of every key's last message, fed by a headers-only consumer on the whole
 * bucket: which leases fall due (for the reaper) and which revisions are already removed or expired
 * (so a compare-and-set on them fails as it would on any other backend, although JetStream alone
 * would accept it). It trails the server by a consumer's delivery delay.
 */
export class LeaseIndex {
  #known = new Map<string, Known>();
  /** The keys whose last message is a PUT with a lease: what the reaper scans. */
  #leases = new Map<string, Known>();
  #tap: Tap | undefined;

  /** Opens the index and waits until it holds the bucket's current state. */
  static async open(o: LeaseIndexOptions): Promise<LeaseIndex> {
    const index = new LeaseIndex();
    index.#tap = await openTap({
      js: o.js,
      stream: o.stream,
      filter: `${o.subjectPrefix}>`,
      start: "last-per-key",
      headersOnly: true,
      onMsg: (m) => index.apply(toRecord(m, o.subjectPrefix)),
      onEnd: o.onEnd,
    });
    try {
      await index.#tap.ready;
    } catch (err) {
      await index.stop();
      throw err;
    }
    return index;
  }

  apply(r: KvRecord): void {
    const known = this.#known.get(r.key);
    if (known && known.revision >= r.revision) return;
    const k = { revision: r.revision, op: r.op, deadlineMs: r.deadlineMs };
    this.#known.set(r.key, k);
    if (k.deadlineMs !== undefined) this.#leases.set(r.key, k);
    else this.#leases.delete(r.key);
  }

  /** True when `key` at `revision` is known to be removed, or expired at `nowMs`. */
  isGone(key: string, revision: number, nowMs: number): boolean {
    const k = this.#known.get(key);
    if (!k || k.revision !== revision) return false;
    return k.op !== "put" || (k.deadlineMs !== undefined && k.deadlineMs <= nowMs);
  }

  /** The revision carrying `key`'s lease if that lease has run out at `nowMs` (not yet reaped). */
  lapsed(key: string, nowMs: number): number | undefined {
    const k = this.#leases.get(key);
    return k?.deadlineMs !== undefined && k.deadlineMs <= nowMs ? k.revision : undefined;
  }

  /** Leases whose deadline has passed at `nowMs`: the key and the revision that carries the lease. */
  due(nowMs: number): Array<{ key: string; revision: number }> {
    const out: Array<{ key: string; revision: number }> = [];
    for (const [key, k] of this.#leases) {
      if (k.deadlineMs !== undefined && k.deadlineMs <= nowMs) {
        out.push({ key, revision: k.revision });
      }
    }
    return out;
  }

  async stop(): Promise<void> {
    await this.#tap?.stop();
  }
}
