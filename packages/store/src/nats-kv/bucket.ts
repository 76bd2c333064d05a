import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/transport-node";
import type { SwarmError } from "@swarmlink/protocol";
import { isLive, type KvRecord, putHeaders, removeHeaders, toRecord } from "./codec.js";
import { isWrongLastSequence } from "./errors.js";
import type { LeaseIndex } from "./leases.js";
import { openTap } from "./tap.js";

/** JetStream refused a conditional write: the key is at `current` (0 when JetStream did not say). */
export class Refused {
  readonly current: number;
  constructor(current: number) {
    this.current = current;
  }
}

export interface BucketParts {
  js: JetStreamClient;
  jsm: JetStreamManager;
  bucket: string;
  /**
   * Read with JetStream direct get (as nats.js KV does when the stream allows it): faster, served by
   * any replica, so on a replicated bucket a read may briefly trail a write. CAS still decides on
   * the stream leader.
   */
  direct: boolean;
  index: LeaseIndex;
  /** Translates a nats.js failure once (E_CLOSED once the store is closed). */
  translate: (err: unknown) => SwarmError;
}

/** The JetStream operations a NatsKvStore is built from, on one KV bucket's stream and subjects. */
export class Bucket {
  readonly stream: string;
  /** `$KV.<bucket>.`: a key's subject is this plus the key. */
  readonly subjects: string;
  readonly js: JetStreamClient;
  #p: BucketParts;

  constructor(p: BucketParts) {
    this.#p = p;
    this.js = p.js;
    this.stream = `KV_${p.bucket}`;
    this.subjects = `$KV.${p.bucket}.`;
  }

  /** The last message for `key`, whatever its operation; undefined if it has none. */
  async read(key: string): Promise<KvRecord | undefined> {
    try {
      const query = { last_by_subj: this.subjects + key };
      const sm = this.#p.direct
        ? await this.#p.jsm.direct.getMessage(this.stream, query)
        : await this.#p.jsm.streams.getMessage(this.stream, query);
      if (!sm) return undefined;
      const m = {
        subject: sm.subject,
        seq: sm.seq,
        headers: sm.header,
        data: sm.data,
        timeMs: sm.time.getTime(),
      };
      return toRecord(m, this.subjects);
    } catch (err) {
      throw this.#p.translate(err);
    }
  }

  /** Writes a value with a lease of `ttlMs` (0: none); with `expect`, only at that revision (0: absent). */
  put(key: string, value: Uint8Array, ttlMs: number, expect?: number): Promise<number | Refused> {
    return this.#publish(key, value, putHeaders(ttlMs), expect);
  }

  /** Writes a `DEL` marker: a caller's delete, or the expire of a lapsed lease. */
  async remove(key: string, op: "delete" | "expire", expect?: number): Promise<number | Refused> {
    const rev = await this.#publish(key, new Uint8Array(0), removeHeaders(op), expect);
    if (!(rev instanceof Refused)) {
      this.#p.index.apply({ key, op, revision: rev, value: new Uint8Array(0), deadlineMs: undefined });
    }
    return rev;
  }

  /** Live keys under `prefix` at `nowMs`: one headers-only snapshot of the last message per key. */
  async keys(prefix: string, nowMs: number): Promise<string[]> {
    const found: string[] = [];
    try {
      const tap = await openTap({
        js: this.js,
        stream: this.stream,
        filter: `${this.subjects}${prefix}>`,
        start: "last-per-key",
        headersOnly: true,
        onMsg: (m, initial) => {
          const r = toRecord(m, this.subjects);
          if (initial && isLive(r, nowMs)) found.push(r.key);
        },
        onEnd() {},
      });
      await tap.ready.finally(() => tap.stop());
    } catch (err) {
      throw this.#p.translate(err);
    }
    return found.sort();
  }

  async #publish(
    key: string,
    data: Uint8Array,
    headers?: MsgHdrs,
    expect?: number,
  ): Promise<number | Refused> {
    const opts = {
      ...(headers && { headers }),
      ...(expect !== undefined && { expect: { lastSubjectSequence: expect } }),
    };
    try {
      return (await this.js.publish(this.subjects + key, data, opts)).seq;
    } catch (err) {
      if (!isWrongLastSequence(err)) throw this.#p.translate(err);
      // "wrong last sequence: 42" names the key's current revision.
      return new Refused(Number(/(\d+)\s*$/.exec((err as Error).message)?.[1] ?? 0));
    }
  }
}
