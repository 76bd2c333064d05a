import assert from "node:assert/strict";
import { type ErrorCode, isSwarmError, type SwarmError } from "@swarmlink/protocol";
import type { Change, Store, Watch } from "../types.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

/** UTF-8 bytes of `s`. */
export function bytes(s: string): Uint8Array {
  return enc.encode(s);
}

/** `b` decoded as UTF-8. */
export function text(b: Uint8Array | undefined): string | undefined {
  return b && dec.decode(b);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Asserts that `fn` rejects (or throws) a SwarmError with `code`. */
export async function rejectsWith(fn: () => unknown, code: ErrorCode, what = ""): Promise<SwarmError> {
  try {
    await fn();
  } catch (err) {
    assert.ok(isSwarmError(err), `${what}: expected SwarmError ${code}, got ${String(err)}`);
    assert.equal(err.code, code, `${what}: expected ${code}, got ${err.code}: ${err.message}`);
    return err;
  }
  assert.fail(`${what}: expected ${code}, but it succeeded`);
}

/**
 * Reads a watch with deadlines. One `next()` is kept pending across calls, so a read that times out
 * loses nothing.
 */
export class Reader {
  readonly watch: Watch;
  #it: AsyncIterator<Change>;
  #pending: Promise<IteratorResult<Change>> | undefined;

  constructor(watch: Watch) {
    this.watch = watch;
    this.#it = watch[Symbol.asyncIterator]();
  }

  /** The next `n` changes; fails after `timeoutMs` naming what arrived. */
  async take(n: number, timeoutMs = 5000): Promise<Change[]> {
    const got: Change[] = [];
    const deadline = performance.now() + timeoutMs;
    while (got.length < n) {
      const r = await this.#next(deadline - performance.now());
      if (r === "timeout") assert.fail(`timed out: ${n} changes wanted, got ${JSON.stringify(show(got))}`);
      if (r.done) assert.fail(`watch ended after ${JSON.stringify(show(got))}`);
      got.push(r.value);
    }
    return got;
  }

  /** Asserts that nothing arrives for `ms`. */
  async quiet(ms: number): Promise<void> {
    const r = await this.#next(ms);
    if (r !== "timeout") assert.fail(`expected silence, got ${r.done ? "the end" : show([r.value])}`);
  }

  /** How the watch ends: `"done"`, or the error it throws; fails if it has not ended in `timeoutMs`. */
  async end(timeoutMs = 3000): Promise<unknown> {
    for (;;) {
      let r: IteratorResult<Change> | "timeout";
      try {
        r = await this.#next(timeoutMs);
      } catch (err) {
        return err;
      }
      if (r === "timeout") assert.fail("the watch did not end");
      if (r.done) return "done";
    }
  }

  async #next(ms: number): Promise<IteratorResult<Change> | "timeout"> {
    this.#pending ??= this.#it.next();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), Math.max(0, ms));
    });
    try {
      const r = await Promise.race([this.#pending, timeout]);
      if (r !== "timeout") this.#pending = undefined;
      return r;
    } catch (err) {
      this.#pending = undefined;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** `key op@revision` lines, for messages and deep comparisons. */
export function show(changes: Change[]): string[] {
  return changes.map((c) => `${c.key} ${c.op}@${c.revision}${c.value ? `=${text(c.value)}` : ""}`);
}

/** Polls `probe` until it returns true or `timeoutMs` passes; returns the time it took in ms. */
export async function eventually(
  probe: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if (await probe()) return performance.now() - start;
    await sleep(10);
  }
  assert.fail(`${what}: not within ${timeoutMs} ms`);
}

/** Reads the current value of `key` as text, or undefined. */
export async function read(store: Store, key: string): Promise<string | undefined> {
  return text((await store.get(key))?.value);
}
