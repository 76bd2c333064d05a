import { isSwarmError, KV_PREFIXES } from "@swarmlink/protocol";
import type { TermContext } from "./context.js";
import { decodeRecord } from "./record.js";

/** Store reads and takeover writes in flight at once while a term loads its records. */
export const LOAD_CONCURRENCY = 32;

/**
 * Loads every task record into the term's table, then rewrites each unfinished one under the term's
 * token, so that a deposed leader's late write to it is refused. Records that are not task records
 * are logged and left alone. Rejects with E_FENCED when the term is already over.
 */
export async function loadRecords(
  ctx: Pick<TermContext, "o" | "fenced" | "table" | "signal">,
): Promise<void> {
  const { o, fenced, table, signal } = ctx;
  const keys = await o.store.keys(KV_PREFIXES.tasks);
  await eachLimited(keys, LOAD_CONCURRENCY, async (key) => {
    const e = await fenced.get(key).catch((err) => {
      if (!isSwarmError(err, "E_DECODE")) throw err;
      o.log.warn({ err, key }, "not a task record; left alone");
    });
    if (!e || signal.aborted) return;
    try {
      table.load(decodeRecord(e.value), e.revision);
    } catch (err) {
      o.log.warn({ err, key }, "not a task record; left alone");
    }
  });
  const unfinished = table.active().map((r) => r.task.id);
  await eachLimited(unfinished, LOAD_CONCURRENCY, (id) => table.adopt(id));
}

/** Runs `fn` over `items`, at most `limit` at once; rejects with the first failure. */
async function eachLimited<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<unknown>,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
