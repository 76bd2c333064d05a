import { PresenceStatus, type TimerHandle } from "@swarmlink/protocol";
import type { PresenceState } from "../types.js";
import type { IndexedAgent } from "./agent.js";
import { publishPresence, type RegistryContext } from "./context.js";
import { PRESENCE_REASONS } from "./reasons.js";
import { readAgent } from "./records.js";
import { transition } from "./transition.js";

interface Due {
  agent: IndexedAgent;
  to: PresenceState;
  reason: string;
}

/**
 * What only the presence authority (the leader's registry) does: sweep presence on the Clock
 * (online → suspect → offline, suspect → online), bring a suspect agent back at its next heartbeat,
 * and nudge agents it does not hold as live to register again. Every node runs one; it acts only
 * while `isAuthority()` holds, re-checked before every write.
 *
 * Silence is counted from the later of an agent's last heartbeat and the moment this node became
 * the authority: every node hears every heartbeat, so a new leader usually knows lastSeen already,
 * but one that does not (it just started) must not take "unknown" for "stale". So after a failover
 * nobody is suspected for one `suspectAfterMs`, and nobody goes offline for one `offlineAfterMs`.
 */
export class PresenceAuthority {
  readonly #ctx: RegistryContext;
  #timer: TimerHandle | undefined;
  #running = false;
  #sweeping = false;
  #was = false;
  #sinceMs = 0;
  /** Agents with a transition or a re-register check under way. */
  readonly #busy = new Set<string>();
  /** When each agent was last asked to re-register. */
  readonly #nudged = new Map<string, number>();

  constructor(ctx: RegistryContext) {
    this.#ctx = ctx;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#schedule();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#ctx.opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /**
   * Whether this node is the authority now and can hear the agents; notes the moment it became
   * both. While its Bus is disconnected it hears no heartbeat, so it judges nobody, and once it
   * hears again silence counts from then (as after a failover), not from before the outage.
   */
  active(): boolean {
    const now = this.#ctx.opts.isAuthority() && this.#ctx.opts.bus.connected;
    if (now && !this.#was) this.#sinceMs = this.#ctx.opts.clock.now();
    this.#was = now;
    return now;
  }

  /** How long `a` has been silent as the authority counts it, in ms. */
  silentMs(a: IndexedAgent, nowMs: number): number {
    return nowMs - Math.max(a.lastSeenMs, this.#sinceMs);
  }

  /** One sweep over every agent; the Clock runs one every `sweepIntervalMs`. */
  async sweep(): Promise<void> {
    if (!this.active() || this.#sweeping) return;
    this.#sweeping = true;
    try {
      const { clock, reregisterCooldownMs } = this.#ctx.opts;
      const now = clock.now();
      for (const [id, at] of this.#nudged) if (now - at >= reregisterCooldownMs) this.#nudged.delete(id);
      const due: Due[] = [];
      for (const agent of this.#ctx.index.agents()) {
        if (this.#busy.has(agent.id)) continue;
        const to = this.#dueState(agent, now);
        if (to) due.push({ agent, to, reason: reasonFor(to) });
      }
      await this.#runAll(due);
    } finally {
      this.#sweeping = false;
    }
  }

  /** A heartbeat of the current epoch came from a suspect agent: bring it back online now. */
  recover(agentId: string): void {
    const a = this.#ctx.index.get(agentId);
    if (a?.status !== "suspect" || this.#busy.has(agentId) || !this.active()) return;
    this.#ctx.track(this.#run({ agent: a, to: "online", reason: PRESENCE_REASONS.resumed }));
  }

  /**
   * A heartbeat came from an agent the index does not hold as live at that epoch. Unless the index
   * merely lags the Store (then it catches up), publish a "re-register" Presence to the agent, at
   * most once per `reregisterCooldownMs`.
   */
  nudge(agentId: string, epoch: number): void {
    if (this.#busy.has(agentId) || !this.active()) return;
    const last = this.#nudged.get(agentId);
    const { clock, reregisterCooldownMs } = this.#ctx.opts;
    if (last !== undefined && clock.now() - last < reregisterCooldownMs) return;
    this.#busy.add(agentId);
    const work = this.#nudge(agentId, epoch)
      .catch((err) => this.#failed(err, agentId, "re-register check failed"))
      .finally(() => this.#busy.delete(agentId));
    this.#ctx.track(work);
  }

  async #nudge(agentId: string, epoch: number): Promise<void> {
    const { index, opts, counters } = this.#ctx;
    const held = index.get(agentId);
    if (!(held?.epoch === epoch && held.status === "offline")) {
      const stored = await readAgent(opts.store, agentId);
      if (stored?.info) index.applyRecord(agentId, stored.info, stored.revision);
      const a = index.get(agentId);
      if (a && a.epoch > epoch) return; // a newer session exists: that heartbeat was stale
      if (a && a.epoch === epoch && a.status !== "offline") return; // the index lagged; it has caught up
    }
    if (!this.active()) return;
    const a = index.get(agentId);
    const now = opts.clock.now();
    this.#nudged.set(agentId, now);
    counters.reregisterRequests++;
    opts.log.info({ agentId, epoch }, "asking agent to re-register");
    publishPresence(this.#ctx, {
      agentId,
      status: PresenceStatus.PRESENCE_STATUS_OFFLINE,
      epoch: a?.epoch ?? 0,
      seq: a?.seq ?? 0,
      reason: PRESENCE_REASONS.reregister,
      sinceMs: a?.sinceMs ?? now,
    });
  }

  #dueState(a: IndexedAgent, now: number): PresenceState | undefined {
    const { suspectAfterMs, offlineAfterMs } = this.#ctx.opts;
    const silent = this.silentMs(a, now);
    if (a.status === "online" && silent >= suspectAfterMs) return "suspect";
    if (a.status === "suspect" && silent >= offlineAfterMs) return "offline";
    // Back online only on evidence (a heartbeat heard since), never because of the grace.
    if (a.status === "suspect" && now - a.lastSeenMs < suspectAfterMs) return "online";
    return undefined;
  }

  async #runAll(due: Due[]): Promise<void> {
    let next = 0;
    const worker = async () => {
      while (next < due.length && this.#running) await this.#run(due[next++]!);
    };
    await Promise.all(Array.from({ length: Math.min(this.#ctx.opts.sweepConcurrency, due.length) }, worker));
  }

  async #run({ agent, to, reason }: Due): Promise<void> {
    const id = agent.id;
    if (this.#busy.has(id)) return;
    this.#busy.add(id);
    const stillDue = () => {
      const now = this.#ctx.index.get(id);
      return now?.epoch === agent.epoch && this.#dueState(now, this.#ctx.opts.clock.now()) === to;
    };
    try {
      await transition(this.#ctx, id, { epoch: agent.epoch, status: agent.status }, to, reason, stillDue);
    } catch (err) {
      this.#failed(err, id, "presence transition failed");
    } finally {
      this.#busy.delete(id);
    }
  }

  #failed(err: unknown, agentId: string, what: string): void {
    this.#ctx.counters.failures++;
    this.#ctx.opts.log.warn({ err, agentId }, what);
  }

  #schedule(): void {
    if (!this.#running) return;
    this.#timer = this.#ctx.opts.clock.setTimeout(() => {
      this.#schedule();
      if (!this.#sweeping)
        this.#ctx.track(this.sweep().catch((err) => this.#failed(err, "", "sweep failed")));
    }, this.#ctx.opts.sweepIntervalMs);
  }
}

function reasonFor(to: PresenceState): string {
  if (to === "suspect") return PRESENCE_REASONS.overdue;
  if (to === "offline") return PRESENCE_REASONS.expired;
  return PRESENCE_REASONS.resumed;
}
