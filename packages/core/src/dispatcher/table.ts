import { isSwarmError, kvKeys, SwarmError } from "@swarmlink/protocol";
import type { FencedStore } from "../election/mod.js";
import { isTerminal } from "../tasks/states.js";
import type { Credits } from "./credits.js";
import { isWaiting, type Step } from "./lifecycle.js";
import { decodeRecord, encodeRecord, type TaskRecord } from "./record.js";

/** Tries of one transition when the stored record changed under it. */
const CONFLICT_RETRIES = 3;

/** What a {@link TaskTable} needs. */
export interface TaskTableOptions {
  /** Writes with the leader's fencing: E_FENCED once this term is over. */
  fenced: FencedStore;
  /** This term's token, stamped into every record written. */
  token: number;
  credits: Credits;
  /** Finished records remembered (overflow: drop-oldest). */
  recentLimit: number;
  /** TTL of finished records in the Store, in ms; 0: none. */
  finishedRecordTtlMs: number;
  /**
   * Runs before a step's record is written (e.g. the dead-letter publish); a throw or a rejection
   * cancels the step. Undefined when there is nothing to wait for (most steps): no await then.
   */
  beforeWrite: (step: Step) => Promise<void> | undefined;
  /**
   * Runs after a step's record is written (events, timers, stats), with `next` encoded as it was
   * stored (undefined for a volatile step), so that its event need not encode it again.
   */
  afterWrite: (prev: TaskRecord | undefined, step: Step, encoded: Uint8Array | undefined) => void;
}

interface Slot {
  rec: TaskRecord;
  revision: number;
  /** The task's lock: transitions run one after another. */
  chain: Promise<unknown>;
}

/**
 * The records of one leadership term: unfinished tasks in memory (the truth is the Store; this is
 * its cache, refreshed on conflict), and the last finished ones. Every change is a {@link Step}
 * taken under the task's lock and written through the FencedStore with compare-and-set on the
 * revision last seen, so nothing overwrites a change it did not see, and a deposed leader writes
 * nothing.
 */
export class TaskTable {
  #o: TaskTableOptions;
  #slots = new Map<string, Slot>();
  /** The unfinished tasks that wait for an agent (`isWaiting`), kept with every change of a slot. */
  #waiting = new Map<string, TaskRecord>();
  #recent = new Map<string, TaskRecord>();

  constructor(o: TaskTableOptions) {
    this.#o = o;
  }

  /** The unfinished task `id`, as last written. */
  get(id: string): TaskRecord | undefined {
    return this.#slots.get(id)?.rec;
  }

  /** A finished task still remembered. */
  finished(id: string): TaskRecord | undefined {
    return this.#recent.get(id);
  }

  /** Unfinished tasks. */
  active(): TaskRecord[] {
    return [...this.#slots.values()].map((s) => s.rec);
  }

  /** Unfinished tasks waiting for an agent (QUEUED, or OFFERED by an auction nobody runs). */
  waiting(): IterableIterator<TaskRecord> {
    return this.#waiting.values();
  }

  get waitingCount(): number {
    return this.#waiting.size;
  }

  /** Finished tasks remembered, oldest first. */
  recent(): TaskRecord[] {
    return [...this.#recent.values()];
  }

  get size(): number {
    return this.#slots.size;
  }

  /** Takes over a record read from the Store at `revision` (at the start of a term). */
  load(rec: TaskRecord, revision: number): void {
    if (isTerminal(rec.state)) {
      this.#remember(rec);
      return;
    }
    this.#slots.set(rec.task.id, { rec, revision, chain: Promise.resolve() });
    this.#track(rec);
    this.#o.credits.sync(rec);
  }

  /**
   * Writes a new record, unless one exists: `"exists"` then (a duplicate submission), and nothing
   * is written. A finished record (dead on arrival) is remembered, an unfinished one kept. `events`
   * are published before it, not stored (the QUEUED of a task stored AWARDED at once).
   */
  async create(rec: TaskRecord, events?: TaskRecord[]): Promise<"created" | "exists"> {
    const id = rec.task.id;
    if (this.#slots.has(id)) return "exists";
    const next = this.#stamped(rec);
    const step: Step = events ? { next, events } : { next };
    const before = this.#o.beforeWrite(step);
    if (before) await before;
    const encoded = encodeRecord(next);
    let revision: number;
    try {
      revision = await this.#o.fenced.write(
        kvKeys.task(id),
        (cur) => {
          if (cur) throw new SwarmError("E_EXISTS", "task record exists", { taskId: id });
          return encoded;
        },
        { ...this.#ttl(next), knownRevision: 0 },
      );
    } catch (err) {
      if (isSwarmError(err, "E_EXISTS")) return "exists";
      throw err;
    }
    // The Store's create is exclusive, so a slot that appeared meanwhile holds this very record: a
    // lookup (a `get`, a report) read it from the Store and took it over while the write returned.
    const loaded = this.#slots.get(id);
    if (loaded && loaded.revision !== revision) return "created"; // and this term has moved it on
    if (loaded) {
      loaded.rec = next;
      this.#track(next);
      this.#o.credits.sync(next);
    } else this.load(next, revision);
    this.#o.afterWrite(undefined, step, encoded);
    return "created";
  }

  /**
   * Takes the step `decide` chooses for the task's current record, under the task's lock. Resolves
   * with the record written, or undefined when `decide` chose nothing or the task is not (or no
   * longer) unfinished here. Rejects with E_FENCED when this term is over.
   */
  apply(id: string, decide: (r: TaskRecord) => Step | undefined): Promise<TaskRecord | undefined> {
    const slot = this.#slots.get(id);
    if (!slot) return Promise.resolve(undefined);
    const run = slot.chain.then(() => this.#apply(id, slot, decide));
    slot.chain = run.catch(() => {});
    return run;
  }

  /** Rewrites the record under this term's token (taking over a task), changing nothing else. */
  adopt(id: string): Promise<TaskRecord | undefined> {
    return this.apply(id, (r) => (r.fencingToken === this.#o.token ? undefined : { next: { ...r } }));
  }

  async #apply(
    id: string,
    slot: Slot,
    decide: (r: TaskRecord) => Step | undefined,
  ): Promise<TaskRecord | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (this.#slots.get(id) !== slot) return undefined;
      const prev = slot.rec;
      const chosen = decide(prev);
      if (!chosen) return undefined;
      const next = this.#stamped(chosen.next);
      const step: Step = next === chosen.next ? chosen : { ...chosen, next };
      if (step.volatile) {
        // Not stored (see Step.volatile); `slot.revision` stays that of the last stored step.
        slot.rec = next;
        this.#track(next);
        this.#o.credits.sync(next);
        this.#o.afterWrite(prev, step, undefined);
        return next;
      }
      const encoded = encodeRecord(next);
      try {
        const before = this.#o.beforeWrite(step);
        if (before) await before;
        slot.revision = await this.#o.fenced.write(
          kvKeys.task(id),
          (cur) => {
            if (cur?.revision !== slot.revision) {
              throw new SwarmError("E_CONFLICT", "task record changed under the dispatcher", {
                taskId: id,
                expected: slot.revision,
                actual: cur?.revision,
              });
            }
            return encoded;
          },
          { ...this.#ttl(next), knownRevision: slot.revision },
        );
      } catch (err) {
        if (!isSwarmError(err, "E_CONFLICT") || attempt >= CONFLICT_RETRIES) throw err;
        await this.#reload(id, slot);
        continue;
      }
      slot.rec = next;
      this.#track(next);
      this.#o.credits.sync(next);
      if (isTerminal(next.state)) {
        this.#slots.delete(id);
        this.#remember(next);
      }
      this.#o.afterWrite(prev, step, encoded);
      return next;
    }
  }

  /** Reads the record again after a conflict. */
  async #reload(id: string, slot: Slot): Promise<void> {
    const e = await this.#o.fenced.get(kvKeys.task(id));
    if (!e) {
      this.#slots.delete(id);
      this.#waiting.delete(id);
      this.#o.credits.drop(id);
      return;
    }
    slot.rec = decodeRecord(e.value);
    this.#track(slot.rec);
    slot.revision = e.revision;
    this.#o.credits.sync(slot.rec);
    if (isTerminal(slot.rec.state)) {
      this.#slots.delete(id);
      this.#remember(slot.rec);
    }
  }

  /**
   * The record under this term's token. Records are never changed once made, so one that carries
   * the token already (made from a record this term wrote) is used as it is: no copy per step.
   */
  #stamped(rec: TaskRecord): TaskRecord {
    return rec.fencingToken === this.#o.token ? rec : { ...rec, fencingToken: this.#o.token };
  }

  /** Keeps `#waiting` in step with a slot's record (a finished record never waits). */
  #track(rec: TaskRecord): void {
    if (isWaiting(rec)) this.#waiting.set(rec.task.id, rec);
    else this.#waiting.delete(rec.task.id);
  }

  #remember(rec: TaskRecord): void {
    if (this.#o.recentLimit === 0) return;
    this.#recent.delete(rec.task.id);
    this.#recent.set(rec.task.id, rec);
    if (this.#recent.size > this.#o.recentLimit) this.#recent.delete(this.#recent.keys().next().value!);
  }

  #ttl(rec: TaskRecord): { ttlMs?: number } {
    const ttl = this.#o.finishedRecordTtlMs;
    return ttl > 0 && isTerminal(rec.state) ? { ttlMs: ttl } : {};
  }
}
