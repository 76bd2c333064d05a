import assert from "node:assert/strict";
import type { Subscription } from "../types.js";

const enc = new TextEncoder();
const dec = new TextDecoder();

export const bytes = (s: string): Uint8Array => enc.encode(s);
export const text = (b: Uint8Array): string => dec.decode(b);

/** A name no other test run uses: streams and subjects must not collide across tests. */
export function unique(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Takes `n` messages from a subscription, failing the test if they do not come within `ms`. */
export async function take(sub: Subscription, n: number, ms = 5000): Promise<string[]> {
  const out: string[] = [];
  if (n === 0) return out;
  const timer = setTimeout(() => sub.unsubscribe(), ms);
  try {
    for await (const m of sub) {
      out.push(text(m.data));
      if (out.length >= n) break;
    }
  } finally {
    clearTimeout(timer);
  }
  assert.equal(out.length, n, `expected ${n} messages within ${ms} ms, got ${out.length}`);
  return out;
}

/** Polls `cond` until it holds or `ms` pass. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  ms = 5000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Asserts that `p` rejects with a SwarmError of `code`. */
export async function rejectsWith(p: Promise<unknown> | (() => unknown), code: string): Promise<void> {
  await assert.rejects(
    async () => (typeof p === "function" ? p() : p),
    (err: unknown) => {
      assert.equal(
        (err as { name?: string }).name,
        "SwarmError",
        `expected a SwarmError, got ${String(err)}`,
      );
      assert.equal((err as { code?: string }).code, code);
      return true;
    },
  );
}
