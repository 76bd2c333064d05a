import {
  type AgentInfoInit,
  type AgentQuery,
  isNewerPresence,
  type PresenceEvent,
  presenceEventOf,
  queryAgents,
} from "@swarmlink/core";
import {
  abortError,
  type Clock,
  decodeEnvelope,
  subjectPatterns,
  subjects,
  unwrapAs,
} from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";

/** Presence events a `watch` holds while its reader is busy; past it the oldest go (overflow: drop-oldest). */
export const DEFAULT_PRESENCE_MAX_PENDING = 1024;

/** Options of `swarm.agents.watch`. */
export interface WatchAgentsOptions {
  /** Only this agent's presence. */
  agentId?: string;
  signal?: AbortSignal;
  /** @default 1024 */
  maxPending?: number;
}

/** The registry as seen from a Swarm client. */
export class Agents {
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #timeoutMs: number;

  constructor(bus: Bus, clock: Clock, timeoutMs: number) {
    this.#bus = bus;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  /**
   * Agents matching every filter given, as any swarm node's registry has them.
   *
   * @example
   * ```ts
   * const near = await swarm.agents.query({ capabilities: ["lift"], status: "online", near: { x: 0, y: 0, radius: 20 } });
   * ```
   */
  query(
    q: AgentQuery = {},
    opts: { signal?: AbortSignal; timeoutMs?: number } = {},
  ): Promise<AgentInfoInit[]> {
    return queryAgents(this.#bus, q, {
      clock: this.#clock,
      timeout: opts.timeoutMs ?? this.#timeoutMs,
      signal: opts.signal,
    });
  }

  /**
   * Presence changes as they happen, each applied only if newer (by epoch, then seq) than the last
   * one seen of that agent; `break` or `signal` ends it.
   *
   * @example
   * ```ts
   * for await (const e of swarm.agents.watch({ signal })) console.log(e.agentId, e.status, e.epoch);
   * ```
   */
  async *watch(opts: WatchAgentsOptions = {}): AsyncGenerator<PresenceEvent, void, undefined> {
    const { signal } = opts;
    if (signal?.aborted) throw abortError(signal);
    const subject = opts.agentId ? subjects.agentPresence(opts.agentId) : subjectPatterns.presence;
    const sub = this.#bus.subscribe(subject, {
      signal,
      maxPending: opts.maxPending ?? DEFAULT_PRESENCE_MAX_PENDING,
    });
    const held = new Map<string, PresenceEvent>();
    try {
      for await (const m of sub) {
        let e: PresenceEvent | undefined;
        try {
          e = presenceEventOf(unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.Presence"));
        } catch {
          continue;
        }
        if (!e || !isNewerPresence(e, held.get(e.agentId))) continue;
        held.set(e.agentId, e);
        yield e;
      }
      if (signal?.aborted) throw abortError(signal);
    } finally {
      sub.unsubscribe();
    }
  }
}
