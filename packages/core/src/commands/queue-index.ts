import { type Clock, isSwarmError, isValidId, kvKeys, SwarmError } from "@swarmlink/protocol";
import type { Store } from "@swarmlink/store";
import { isCommandId } from "./ids.js";

/** Compare-and-set attempts before an index write gives up with `E_CONFLICT`. */
const MAX_CAS_ATTEMPTS = 32;
const FORMAT_VERSION = 1;

/** One unsettled queued command, as the index keeps it. */
export interface QueueEntry {
  id: string;
  name: string;
  deadlineMs: number;
}

/**
 * Encodes an index as JSON: `{"v":1,"entries":[{"id","name","deadlineMs"}…]}`, oldest first. JSON
 * rather than protobuf because no schema message fits and only routers read it.
 */
export function encodeQueueIndex(entries: readonly QueueEntry[]): Uint8Array {
  const plain = entries.map(({ id, name, deadlineMs }) => ({ id, name, deadlineMs }));
  return new TextEncoder().encode(JSON.stringify({ v: FORMAT_VERSION, entries: plain }));
}

/** Decodes an index. @throws SwarmError `E_DECODE` for anything {@link encodeQueueIndex} did not make. */
export function decodeQueueIndex(bytes: Uint8Array): QueueEntry[] {
  let doc: unknown;
  try {
    doc = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (err) {
    throw new SwarmError("E_DECODE", "queue index is not JSON", {}, { cause: err });
  }
  const d = doc as { v?: unknown; entries?: unknown };
  if (typeof doc !== "object" || doc === null || d.v !== FORMAT_VERSION || !Array.isArray(d.entries)) {
    throw new SwarmError("E_DECODE", "queue index has an unknown shape");
  }
  return d.entries.map((e: unknown) => {
    const { id, name, deadlineMs } = (e ?? {}) as Partial<QueueEntry>;
    if (
      !isCommandId(id) ||
      !isValidId(name) ||
      typeof deadlineMs !== "number" ||
      !Number.isSafeInteger(deadlineMs)
    ) {
      throw new SwarmError("E_DECODE", "queue index entry is malformed");
    }
    return { id, name, deadlineMs };
  });
}

/**
 * A corrupt index (written by something else) is rewritten from scratch rather than blocking the
 * agent's commands forever; what it listed still waits in the stream and drains on reconnect.
 */
function readOrReset(bytes: Uint8Array): QueueEntry[] {
  try {
    return decodeQueueIndex(bytes);
  } catch {
    return [];
  }
}

/**
 * The per-agent index of queued, unsettled commands (`kvKeys.commandQueue(agentId)`): what the
 * leader needs without reading the stream — whether an agent has anything waiting, each command's
 * deadline (for the sweeper), and the names (for conflation). Written with compare-and-set by any
 * router; the key is deleted once empty and carries a TTL past its last deadline.
 */
export class QueueIndex {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #graceMs: number;
  readonly #maxEntries: number;

  constructor(opts: { store: Store; clock: Clock; graceMs: number; maxEntries: number }) {
    this.#store = opts.store;
    this.#clock = opts.clock;
    this.#graceMs = opts.graceMs;
    this.#maxEntries = opts.maxEntries;
  }

  /** The entries of `agentId`, oldest first; empty when nothing waits. */
  async entries(agentId: string): Promise<QueueEntry[]> {
    const cur = await this.#store.get(kvKeys.commandQueue(agentId));
    return cur ? decodeQueueIndex(cur.value) : [];
  }

  /**
   * Appends `entry` (no-op if present). With `conflate`, the entries of the same name leave the
   * index and are returned: the caller expires them.
   * @throws SwarmError `E_OVERFLOW` when `maxEntries` commands already wait (policy: error).
   */
  add(agentId: string, entry: QueueEntry, conflate: boolean): Promise<QueueEntry[]> {
    return this.#change(agentId, (entries) => {
      if (entries.some((e) => e.id === entry.id)) return undefined;
      const superseded = conflate ? entries.filter((e) => e.name === entry.name) : [];
      const rest = entries.filter((e) => !superseded.includes(e));
      if (rest.length >= this.#maxEntries) {
        throw new SwarmError("E_OVERFLOW", "too many commands queued for this agent", {
          agentId,
          maxQueuedPerAgent: this.#maxEntries,
        });
      }
      return { next: [...rest, entry], result: superseded };
    }).then((r) => r ?? []);
  }

  /** Removes the entries with these ids (settled commands); deletes the key when none is left. */
  async remove(agentId: string, ids: readonly string[]): Promise<void> {
    await this.#change(agentId, (entries) => {
      const next = entries.filter((e) => !ids.includes(e.id));
      return next.length === entries.length ? undefined : { next, result: undefined };
    });
  }

  async #change<T>(
    agentId: string,
    edit: (entries: QueueEntry[]) => { next: QueueEntry[]; result: T } | undefined,
  ): Promise<T | undefined> {
    const key = kvKeys.commandQueue(agentId);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const cur = await this.#store.get(key);
      const edited = edit(cur ? readOrReset(cur.value) : []);
      if (!edited) return undefined;
      try {
        if (edited.next.length === 0) {
          if (cur) await this.#store.delete(key, { expectedRevision: cur.revision });
        } else {
          const value = encodeQueueIndex(edited.next);
          const ttlMs =
            Math.max(1, Math.max(...edited.next.map((e) => e.deadlineMs)) - this.#clock.now()) +
            this.#graceMs;
          if (cur) await this.#store.update(key, value, cur.revision, { ttlMs });
          else await this.#store.create(key, value, { ttlMs });
        }
        return edited.result;
      } catch (err) {
        if (isSwarmError(err, "E_CONFLICT", "E_EXISTS")) continue;
        throw err;
      }
    }
    throw new SwarmError("E_CONFLICT", "queue index kept changing under compare-and-set", { agentId });
  }
}
