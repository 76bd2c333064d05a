import type { Redis } from "ioredis";
import type { Layout } from "./layout.js";
import { scripts } from "./scripts.js";

export type Mode = "put" | "create" | "update";

/** How one write of a batch ended: 0 written, 1 exists (create), 2 conflict (update). */
export type WriteOutcome =
  | {
      code: 0 | 1 | 2;
      /** The new revision (written), else the record's current one. */
      revision: number;
    }
  | {
      /** Redis refused this write (out of memory, a wrong type…); the others of its run stand. */
      code: 3;
      message: string;
    };

interface Pending {
  key: string;
  /** The write's line of the packed batch (see the write script), without its value. */
  head: string;
  value: Uint8Array;
  resolve: (o: WriteOutcome) => void;
  reject: (err: unknown) => void;
}

/** Writes per script run at most: a run blocks Redis while it lasts. */
export const MAX_BATCH_WRITES = 256;
/** Bytes of the packed writes per script run at most (a batch closes before it would pass it). */
export const MAX_BATCH_BYTES = 4 * 1024 * 1024;

/**
 * Gathers the writes asked for in one turn of the event loop into one run of the write script: one
 * command, one round trip and one script call in Redis for all of them, instead of one each. A busy
 * dispatcher writes dozens of records per turn; each waits no longer than the end of the turn it
 * was asked in. The writes are applied in the order they were asked, each with its own outcome; a
 * failed run (Redis away) fails every write of it.
 */
export class WriteBatcher {
  #client: Redis;
  #layout: Layout;
  #maxlen: number;
  #pending: Pending[] = [];
  #bytes = 0;

  constructor(client: Redis, layout: Layout, historyMaxLen: number) {
    this.#client = client;
    this.#layout = layout;
    this.#maxlen = historyMaxLen;
  }

  /** `value` is read when the run is sent, at the end of the turn: the caller must not change it. */
  write(mode: Mode, key: string, value: Uint8Array, ttlMs: number, expected: number): Promise<WriteOutcome> {
    return new Promise((resolve, reject) => {
      const head = `${key} ${mode} ${ttlMs} ${expected} ${value.length}\n`;
      const size = head.length + value.length;
      // A run's argument stays within MAX_BATCH_BYTES unless one write alone is larger (Redis takes
      // at most 512 MB in one argument; maxValueBytes keeps a single write below that).
      if (this.#pending.length > 0 && this.#bytes + size > MAX_BATCH_BYTES) this.#flush();
      if (this.#pending.length === 0) process.nextTick(() => this.#flush());
      this.#pending.push({ key, head, value, resolve, reject });
      this.#bytes += size;
      if (this.#pending.length >= MAX_BATCH_WRITES || this.#bytes >= MAX_BATCH_BYTES) this.#flush();
    });
  }

  #flush(): void {
    const batch = this.#pending;
    if (batch.length === 0) return;
    // One Buffer for the whole batch (keys are ASCII, so a line's length is its byte count).
    const packed = Buffer.allocUnsafe(this.#bytes);
    this.#pending = [];
    this.#bytes = 0;
    const keys = this.#layout.shared;
    let at = 0;
    for (const p of batch) {
      keys.push(this.#layout.valuePrefix + p.key);
      at += packed.write(p.head, at, "latin1");
      packed.set(p.value, at);
      at += p.value.length;
    }
    scripts.write.run(this.#client, keys, [this.#maxlen, packed]).then(
      (reply) => {
        const out = reply as (number | string)[];
        if (!Array.isArray(out) || out.length !== 2 * batch.length) {
          const err = new Error(`the write script answered ${out?.length} values for ${batch.length} writes`);
          for (const p of batch) p.reject(err);
          return;
        }
        for (let i = 0; i < batch.length; i++) {
          const code = out[2 * i];
          const second = out[2 * i + 1]!;
          batch[i]!.resolve(
            code === 3
              ? { code: 3, message: String(second) }
              : { code: code as 0 | 1 | 2, revision: Number(second) },
          );
        }
      },
      (err) => {
        for (const p of batch) p.reject(err);
      },
    );
  }
}
