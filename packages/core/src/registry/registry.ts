import { setImmediate as yieldTurn } from "node:timers/promises";
import {
  isSwarmError,
  KV_PREFIXES,
  SwarmError,
  subjectPatterns,
  subjects,
  type TimerHandle,
} from "@swarmlink/protocol";
import type { Watch } from "@swarmlink/store";
import type { Msg, Subscription } from "@swarmlink/transport";
import type { AgentDirectory } from "../types.js";
import { AgentIndex } from "./agent-index.js";
import { PresenceAuthority } from "./authority.js";
import { newCounters, type RegistryContext, type RegistryCounters } from "./context.js";
import { handleDeregister } from "./handlers/deregister.js";
import { handleHeartbeat } from "./handlers/heartbeat.js";
import { handlePose } from "./handlers/pose.js";
import { handlePresence } from "./handlers/presence.js";
import { handleQuery } from "./handlers/query.js";
import { handleRegister } from "./handlers/register.js";
import {
  type ParsedRegistryOptions,
  parseRegistryOptions,
  REGISTRY_QUEUE,
  type RegistryOptions,
} from "./options.js";

/** Most event-loop turns `start()` waits for the initial snapshot to land in the index. */
const SNAPSHOT_TURNS = 1000;

/** Wait before re-opening a failed Store watch, in ms. */
export const WATCH_RETRY_MS = 1000;

/** What `Registry.stats()` reports. */
export interface RegistryStats extends RegistryCounters {
  agents: { online: number; suspect: number; offline: number; total: number };
  /** Whether this node is the presence authority right now. */
  isAuthority: boolean;
  /** Store records the index could not read. */
  badRecords: number;
}

/**
 * The agent registry and presence service of one swarm node. Wire contract (subjects from
 * `@swarmlink/protocol`; every message an Envelope; replies carry the request's id as correlation id):
 *
 * - **Register** — request on `subjects.agentRegister(id)`, payload `swarmlink.v1.AgentDescriptor`
 *   whose id is that agent's (else E_FORBIDDEN). Served in queue group "swarm-registry". Writes
 *   the Store record `kvKeys.agent(id)` = `swarmlink.v1.AgentInfo` by compare-and-set, opening a
 *   new session: epoch = previous epoch + 1 (1 for a new agent), seq 0, ONLINE. Replies with that
 *   `swarmlink.v1.Presence` and publishes it on `subjects.agentPresence(id)`.
 * - **Heartbeat** — publish on `subjects.agentHeartbeat(id)`, payload `swarmlink.v1.Heartbeat` with
 *   the epoch the registration returned. Every node hears it; nothing is written to the Store. An
 *   older epoch than the record's is ignored and counted (a half-open old connection).
 * - **Re-register** — when the authority hears a heartbeat from an agent it does not hold as live
 *   (unknown, offline, or an epoch never granted) it publishes `Presence{OFFLINE, reason
 *   "re-register"}` on `subjects.agentPresence(id)`. Agents (the SDK, gateways for their devices)
 *   subscribe to their presence subject and register again when they see it.
 * - **Deregister** — request on `subjects.agentDeregister(id)`, payload `swarmlink.v1.Presence`
 *   {agentId, epoch, reason?}: marks the record OFFLINE (seq + 1). An older epoch: E_FENCED.
 * - **Presence** — only the authority (`isAuthority` / `leadership`) changes presence over time:
 *   ONLINE → SUSPECT after `suspectAfterMs` without a heartbeat, → OFFLINE after `offlineAfterMs`,
 *   SUSPECT → ONLINE on a heartbeat of the current epoch. Each change is a compare-and-set write of
 *   the record (seq + 1) and a `Presence` on `subjects.agentPresence(id)`; reasons in
 *   `PRESENCE_REASONS`. Apply an event only if `isNewerPresence(event, held)`: epoch, then seq.
 * - **Query** — request on `subjects.registryQuery()`, payload `swarmlink.v1.AgentQuery`, served in
 *   queue group "swarm-registry": an `swarmlink.v1.AgentList` from the answering node's index.
 * - **Bad input** — any request that is malformed gets an Envelope of `swarmlink.v1.Error` {code,
 *   message, context}; it is counted, logged, and never thrown out of a handler.
 *
 * Every node keeps its `directory` (an {@link AgentIndex}) current from the Store's watch of
 * agent records, presence events, heartbeats and pose telemetry (`subjects.agentTelemetry(id,
 * "pose")`, which moves agents without Store writes).
 *
 * @example
 * ```ts
 * const registry = new Registry({ bus, store, leadership, suspectAfterMs: 3000 });
 * await registry.start();
 * registry.directory.query({ capabilities: ["lift"], status: "online", nearest: { x: 0, y: 0, k: 3 } });
 * await registry.stop();
 * ```
 */
export class Registry {
  readonly #opts: ParsedRegistryOptions;
  readonly #index: AgentIndex;
  readonly #counters = newCounters();
  readonly #ctx: RegistryContext;
  readonly #authority: PresenceAuthority;
  readonly #work = new Set<Promise<unknown>>();
  #subs: Subscription[] = [];
  #watch: Watch | undefined;
  #following: Promise<void> | undefined;
  #retry: { timer: TimerHandle; wake: () => void } | undefined;
  #state: "new" | "started" | "stopped" = "new";
  /** Store changes applied so far (to tell when the initial snapshot has drained). */
  #applied = 0;

  /** @throws SwarmError `E_CONFIG` naming the field of a bad option. */
  constructor(opts: RegistryOptions) {
    this.#opts = parseRegistryOptions(opts);
    const { cellSizeM, geoOrigin, log } = this.#opts;
    this.#index = new AgentIndex({ cellSizeM, geoOrigin, log });
    this.#ctx = {
      opts: this.#opts,
      index: this.#index,
      counters: this.#counters,
      track: (work) => this.#track(work),
    };
    this.#authority = new PresenceAuthority(this.#ctx);
  }

  get #stopped(): boolean {
    return this.#state === "stopped";
  }

  /** The node's directory of agents, kept current while started. */
  get directory(): AgentDirectory {
    return this.#index;
  }

  /** The same directory with the index's own extras (counts, AgentInfo, heartbeats). */
  get index(): AgentIndex {
    return this.#index;
  }

  /**
   * Subscribes to the registry's subjects, starts following the Store and the sweeper. Resolves
   * once the Store watch is live and the records it held are in the index (so the directory is
   * populated when `start()` returns).
   *
   * @throws SwarmError from the Bus or the Store (then nothing stays subscribed); `E_CLOSED` when
   * called after `stop()`.
   */
  async start(): Promise<void> {
    if (this.#state !== "new") {
      if (this.#state === "started") return;
      throw new SwarmError("E_CLOSED", "registry stopped");
    }
    this.#state = "started";
    try {
      this.#subscribe();
      const watch = this.#openWatch();
      this.#following = this.#follow(watch);
      await watch.initialized;
      await this.#snapshotApplied();
      this.#authority.start();
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  /** Unsubscribes, stops the watch and the sweeper, and waits for work under way. Idempotent. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#state = "stopped";
    this.#authority.stop();
    for (const sub of this.#subs) sub.unsubscribe();
    this.#subs = [];
    this.#watch?.stop();
    if (this.#retry) {
      this.#opts.clock.clearTimeout(this.#retry.timer);
      this.#retry.wake();
    }
    await this.#following;
    while (this.#work.size > 0) await Promise.allSettled([...this.#work]);
  }

  /** Runs one presence sweep now (the Clock runs them every `sweepIntervalMs`); for tests and tools. */
  sweep(): Promise<void> {
    return this.#authority.sweep();
  }

  stats(): RegistryStats {
    const i = this.#index;
    return {
      ...this.#counters,
      agents: {
        online: i.count("online"),
        suspect: i.count("suspect"),
        offline: i.count("offline"),
        total: i.size,
      },
      isAuthority: this.#opts.isAuthority(),
      badRecords: i.badRecords,
    };
  }

  #subscribe(): void {
    const { bus } = this.#opts;
    const ctx = this.#ctx;
    const on = (subject: string, queue: string | undefined, handle: (msg: Msg) => unknown) => {
      const callback = (err: Error | undefined, msg: Msg) => {
        if (err) return void this.#opts.log.warn({ err, subject }, "registry subscription error");
        const result = handle(msg);
        if (result instanceof Promise) this.#track(result);
      };
      this.#subs.push(bus.subscribe(subject, { queue, callback }));
    };
    on(subjectPatterns.registrations, REGISTRY_QUEUE, (m) => handleRegister(ctx, m));
    on(subjectPatterns.deregistrations, REGISTRY_QUEUE, (m) => handleDeregister(ctx, m));
    on(subjectPatterns.heartbeats, undefined, (m) => handleHeartbeat(ctx, this.#authority, m));
    on(subjectPatterns.presence, undefined, (m) => handlePresence(ctx, m));
    on(subjectPatterns.telemetryStream("pose"), undefined, (m) => handlePose(ctx, m));
    // Last: a node answers queries once it listens to everything else.
    on(subjects.registryQuery(), REGISTRY_QUEUE, (m) => handleQuery(ctx, m));
  }

  #openWatch(): Watch {
    this.#watch = this.#opts.store.watch(KV_PREFIXES.agents, { initial: true });
    return this.#watch;
  }

  /**
   * Applies the Store's changes for as long as the registry runs. A failed watch is re-opened with
   * a fresh snapshot (the index drops what is not newer), after `WATCH_RETRY_MS`.
   */
  async #follow(first: Watch): Promise<void> {
    let watch = first;
    for (;;) {
      try {
        for await (const change of watch) {
          this.#applied++;
          this.#index.applyChange(change);
        }
        return;
      } catch (err) {
        if (this.#stopped || isSwarmError(err, "E_CLOSED")) return;
        this.#counters.watchRestarts++;
        this.#opts.log.warn({ err }, "agent watch failed; re-opening");
      }
      await new Promise<void>((wake) => {
        this.#retry = { timer: this.#opts.clock.setTimeout(wake, WATCH_RETRY_MS), wake };
      });
      this.#retry = undefined;
      if (this.#stopped) return;
      try {
        watch = this.#openWatch();
      } catch (err) {
        this.#opts.log.error({ err }, "agent watch cannot be re-opened");
        return;
      }
    }
  }

  /**
   * Waits until a turn of the event loop passes with no change applied: the snapshot a live watch
   * has queued is then in the index. Bounded, in case the Store never goes quiet.
   */
  async #snapshotApplied(): Promise<void> {
    let seen = -1;
    for (let turn = 0; turn < SNAPSHOT_TURNS && seen !== this.#applied; turn++) {
      seen = this.#applied;
      await yieldTurn();
    }
  }

  #track(work: Promise<unknown>): void {
    const p = work.catch((err) => this.#opts.log.error({ err }, "registry task failed"));
    this.#work.add(p);
    void p.finally(() => this.#work.delete(p));
  }
}
