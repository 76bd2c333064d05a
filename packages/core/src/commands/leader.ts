import { setMaxListeners } from "node:events";
import { type Clock, KV_PREFIXES, parseKvKey, type TimerHandle } from "@swarmlink/protocol";
import type { Change } from "@swarmlink/store";
import { drainAgent } from "./drain.js";
import type { RouterParts } from "./parts.js";
import { decodeQueueIndex, type QueueEntry } from "./queue-index.js";
import { Sweeper } from "./sweeper.js";

/** Pause before a failed watch or drain is tried again, in ms; doubled after each failed drain. */
const RETRY_MS = 1000;
/** Longest pause between two drain attempts, in ms. */
const MAX_RETRY_MS = 30_000;
/** Drain attempts in a row that may fail before the leader waits for the next presence event or command. */
const MAX_DRAIN_RETRIES = 8;

/**
 * What only the leader does: it mirrors every agent's queue index (a Store watch), drains an
 * agent's queue when the agent comes online or when a command is queued for an online agent, and
 * runs the {@link Sweeper} over the mirror. Started when the router becomes the authority, stopped (drains aborted) when it stops
 * being one.
 */
export class LeaderDuties {
  readonly #parts: RouterParts;
  readonly #ctl = new AbortController();
  readonly #mirror = new Map<string, { revision: number; entries: QueueEntry[] }>();
  readonly #running = new Map<string, Promise<void>>();
  readonly #again = new Set<string>();
  /** Failed drains in a row, per agent (only agents with queued commands). */
  readonly #retries = new Map<string, number>();
  /** Agents waiting for a drain slot, first come first served; at most one entry per agent. */
  readonly #waiting = new Set<string>();
  readonly #sweeper: Sweeper;
  #timers = new Set<TimerHandle>();
  #watchDone: Promise<void>;
  #unsubscribe: () => void;

  constructor(parts: RouterParts) {
    this.#parts = parts;
    // Each drain waits on this signal in a fetch or a delivery, plus the watch and the sweeper.
    setMaxListeners(parts.opts.maxConcurrentDrains * 2 + 16, this.#ctl.signal);
    this.#sweeper = new Sweeper(parts, () => this.#queues(), this.#ctl.signal);
    this.#unsubscribe = parts.opts.directory.onPresence((e) => {
      if (e.status !== "online") return;
      this.#retries.delete(e.agentId);
      if ((this.#mirror.get(e.agentId)?.entries.length ?? 0) > 0) this.#request(e.agentId);
    });
    this.#watchDone = this.#watchLoop();
  }

  /** Agents being drained now. */
  get draining(): number {
    return this.#running.size;
  }

  /** Aborts drains and the watch, and waits for them to end. */
  async stop(): Promise<void> {
    this.#ctl.abort();
    this.#unsubscribe();
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#waiting.clear();
    await Promise.allSettled([this.#watchDone, this.#sweeper.stop(), ...this.#running.values()]);
  }

  *#queues(): Iterable<[string, QueueEntry[]]> {
    for (const [agentId, held] of this.#mirror) yield [agentId, held.entries];
  }

  get #clock(): Clock {
    return this.#parts.wire.clock;
  }

  #online(agentId: string): boolean {
    return this.#parts.opts.directory.get(agentId)?.status === "online";
  }

  async #watchLoop(): Promise<void> {
    const signal = this.#ctl.signal;
    while (!signal.aborted) {
      try {
        this.#mirror.clear();
        const watch = this.#parts.opts.store.watch(KV_PREFIXES.commandQueues, { initial: true, signal });
        for await (const change of watch) this.#apply(change);
        return;
      } catch (err) {
        if (signal.aborted) return;
        this.#parts.opts.log.warn({ err }, "queue index watch failed; watching again");
        await this.#pause(RETRY_MS);
      }
    }
  }

  #apply(change: Change): void {
    const agentId = parseKvKey(change.key).id;
    const held = this.#mirror.get(agentId);
    if (held && change.revision <= held.revision) return;
    if (change.op !== "put" || !change.value) {
      this.#mirror.delete(agentId);
      return;
    }
    let entries: QueueEntry[];
    try {
      entries = decodeQueueIndex(change.value);
    } catch (err) {
      this.#parts.opts.log.warn({ agentId, err }, "unreadable queue index ignored");
      return;
    }
    this.#mirror.set(agentId, { revision: change.revision, entries });
    const fresh = entries.some((e) => !held?.entries.some((h) => h.id === e.id));
    if (fresh && this.#online(agentId)) this.#request(agentId);
    this.#sweeper.schedule(Math.min(...entries.map((e) => e.deadlineMs)));
  }

  #request(agentId: string): void {
    if (this.#ctl.signal.aborted) return;
    if (this.#running.has(agentId)) this.#again.add(agentId);
    else if (this.#running.size >= this.#parts.opts.maxConcurrentDrains) this.#waiting.add(agentId);
    else this.#run(agentId);
  }

  #run(agentId: string): void {
    const { log } = this.#parts.opts;
    const drained = drainAgent(this.#parts, agentId, this.#ctl.signal, () => this.#online(agentId)).catch(
      (err: unknown) => {
        if (!this.#ctl.signal.aborted) log.warn({ agentId, err }, "drain failed; trying again");
        return "retry" as const;
      },
    );
    this.#running.set(
      agentId,
      drained.then((result) => {
        this.#running.delete(agentId);
        if (result === "retry") this.#retry(agentId);
        else this.#retries.delete(agentId);
        if (this.#again.delete(agentId)) this.#request(agentId);
        const next = this.#waiting.values().next();
        if (!next.done) {
          this.#waiting.delete(next.value);
          this.#request(next.value);
        }
      }),
    );
  }

  /** Drains again after a pause that doubles with each failure, while the agent is online. */
  #retry(agentId: string): void {
    const n = (this.#retries.get(agentId) ?? 0) + 1;
    if (n > MAX_DRAIN_RETRIES) {
      this.#retries.delete(agentId);
      this.#parts.opts.log.warn(
        { agentId },
        "agent unreachable; its commands wait for the next presence change",
      );
      return;
    }
    this.#retries.set(agentId, n);
    this.#later(
      () => {
        if (this.#online(agentId)) this.#request(agentId);
      },
      Math.min(RETRY_MS * 2 ** (n - 1), MAX_RETRY_MS),
    );
  }

  /** Resolves after `ms`, or at once when the duties stop. */
  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const signal = this.#ctl.signal;
      const t = this.#clock.setTimeout(done, ms);
      function done() {
        signal.removeEventListener("abort", onAbort);
        resolve();
      }
      const onAbort = () => {
        this.#clock.clearTimeout(t);
        done();
      };
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  #later(fn: () => void, ms: number): void {
    const t = this.#clock.setTimeout(() => {
      this.#timers.delete(t);
      if (!this.#ctl.signal.aborted) fn();
    }, ms);
    this.#timers.add(t);
  }
}
