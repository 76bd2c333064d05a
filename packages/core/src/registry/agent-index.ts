import { decodePayload } from "@swarmlink/protocol";
import type { Change } from "@swarmlink/store";
import type { AgentDirectory, AgentQuery, PresenceEvent, PresenceState } from "../types.js";
import {
  type AgentInfoInit,
  agentFromInfo,
  type DescriptorInit,
  type IndexedAgent,
  infoOf,
  withChanges,
} from "./agent.js";
import { type PositionInit, pointOf } from "./convert.js";
import type { GeoOrigin } from "./geo.js";
import { SpatialGrid } from "./grid.js";
import { InvertedIndex } from "./inverted.js";
import { NOOP_LOGGER, type RegistryLogger } from "./log.js";
import { DEFAULT_CELL_SIZE_M } from "./options.js";
import { comparePresence, isNewerPresence } from "./order.js";
import { type QueryView, runQuery } from "./query.js";

/** Default most heartbeats held for agents whose record has not reached the index yet (drop-oldest). */
export const DEFAULT_MAX_PENDING_HEARTBEATS = 10_000;

/** Options of {@link AgentIndex}. */
export interface AgentIndexOptions {
  /** Side of a spatial grid cell, in metres. @default 10 */
  cellSizeM?: number;
  /** Origin for projecting geo positions; without it they stay out of spatial queries. @default undefined */
  geoOrigin?: GeoOrigin;
  /** Heartbeats held for agents not (yet) indexed; oldest dropped past this. @default 10000 */
  maxPendingHeartbeats?: number;
  log?: RegistryLogger;
}

/**
 * What a heartbeat told the index: `ok` (online, lastSeen renewed), `suspect` / `offline` (renewed,
 * but the agent is held in that state), `stale` (an older epoch than the record's: ignored),
 * `ahead` (a newer epoch than the index holds: held until its record arrives) or `unknown`.
 */
export type HeartbeatOutcome = "ok" | "suspect" | "offline" | "stale" | "ahead" | "unknown";

interface Slot {
  agent: IndexedAgent;
  descriptor: DescriptorInit;
  /** Store revision of the record applied last; 0 if only bus events were. */
  revision: number;
}

/**
 * The registry's in-memory directory. Every node keeps one, fed by the Store's watch of agent
 * records, the Bus's presence events, heartbeats (lastSeen, inFlight) and pose telemetry
 * (position). Changes apply only when newer: a record or event of an older (epoch, seq) than held is
 * dropped whatever order things arrive in; a record of the same (epoch, seq) applies only if its
 * Store revision is newer. Presence listeners hear each (epoch, seq) advance once.
 *
 * @example
 * ```ts
 * const index = new AgentIndex({ cellSizeM: 10 });
 * for await (const change of store.watch(KV_PREFIXES.agents, { initial: true })) index.applyChange(change);
 * index.query({ capabilities: ["lift"], status: "online", nearest: { x: 3, y: 4, k: 5 } });
 * ```
 */
export class AgentIndex implements AgentDirectory {
  readonly #slots = new Map<string, Slot>();
  readonly #caps = new InvertedIndex();
  readonly #states = new InvertedIndex();
  readonly #grid: SpatialGrid;
  readonly #listeners = new Set<(e: PresenceEvent) => void>();
  readonly #pending = new Map<string, { epoch: number; atMs: number; inFlight: number }>();
  readonly #maxPending: number;
  readonly #origin: GeoOrigin | undefined;
  readonly #log: RegistryLogger;
  readonly #view: QueryView<IndexedAgent>;
  #badRecords = 0;
  #generation = 0;
  #rosterGeneration = 0;

  constructor(opts: AgentIndexOptions = {}) {
    this.#grid = new SpatialGrid(opts.cellSizeM ?? DEFAULT_CELL_SIZE_M);
    this.#origin = opts.geoOrigin;
    this.#maxPending = opts.maxPendingHeartbeats ?? DEFAULT_MAX_PENDING_HEARTBEATS;
    this.#log = opts.log ?? NOOP_LOGGER;
    const slots = this.#slots;
    this.#view = {
      get: (id) => slots.get(id)?.agent,
      *all() {
        for (const s of slots.values()) yield s.agent;
      },
      capability: (cap) => this.#caps.get(cap),
      status: (state) => this.#states.get(state),
      grid: this.#grid,
    };
  }

  get size(): number {
    return this.#slots.size;
  }

  get generation(): number {
    return this.#generation;
  }

  get rosterGeneration(): number {
    return this.#rosterGeneration;
  }

  /** Store records that could not be read (not an AgentInfo, or the key and id disagree). */
  get badRecords(): number {
    return this.#badRecords;
  }

  get(id: string): IndexedAgent | undefined {
    return this.#slots.get(id)?.agent;
  }

  /** @throws SwarmError `E_INVALID` for a malformed query. */
  query(q: AgentQuery): IndexedAgent[] {
    return runQuery(this.#view, q);
  }

  /** Every agent, in no particular order. */
  agents(): IterableIterator<IndexedAgent> {
    return this.#view.all() as IterableIterator<IndexedAgent>;
  }

  /** How many agents are in `state`. */
  count(state: PresenceState): number {
    return this.#states.count(state);
  }

  /** The agent as the wire's AgentInfo (its registered descriptor with its latest position). */
  info(id: string): AgentInfoInit | undefined {
    const slot = this.#slots.get(id);
    return slot && infoOf(slot.agent, slot.descriptor);
  }

  onPresence(listener: (e: PresenceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Applies a change from `store.watch(KV_PREFIXES.agents)`. True when the index changed. */
  applyChange(change: Change): boolean {
    const id = change.key.slice(change.key.indexOf(".") + 1);
    if (change.op !== "put") return this.remove(id, change.op === "expire" ? "expired" : "deleted");
    let info: AgentInfoInit;
    try {
      info = decodePayload("swarmlink.v1.AgentInfo", change.value ?? new Uint8Array(0));
    } catch (err) {
      this.#badRecords++;
      this.#log.warn({ key: change.key, err }, "agent record is not an AgentInfo");
      return false;
    }
    return this.applyRecord(id, info, change.revision);
  }

  /** Applies an agent record at a Store revision. True when the index changed. */
  applyRecord(id: string, info: AgentInfoInit, revision: number): boolean {
    const next = agentFromInfo(info, this.#origin);
    if (!next || next.id !== id) {
      this.#badRecords++;
      this.#log.warn({ agentId: id, revision }, "agent record is incomplete or names another agent");
      return false;
    }
    const slot = this.#slots.get(id);
    const order = slot ? comparePresence(next, slot.agent) : 1;
    if (slot && (order < 0 || (order === 0 && revision <= slot.revision))) return false;
    let agent = next;
    let descriptor = info.descriptor!;
    if (slot && slot.agent.epoch === next.epoch) {
      // Same session: what heartbeats and poses taught this node is newer than the record's copy.
      agent = withChanges(next, {
        lastSeenMs: Math.max(next.lastSeenMs, slot.agent.lastSeenMs),
        inFlight: slot.agent.inFlight,
        position: slot.agent.position,
      });
      descriptor = { ...descriptor, position: slot.descriptor.position };
    }
    const held = this.#pending.get(id);
    if (held && held.epoch <= next.epoch) {
      this.#pending.delete(id);
      if (held.epoch === next.epoch && held.atMs > agent.lastSeenMs) {
        agent = withChanges(agent, { lastSeenMs: held.atMs, inFlight: held.inFlight });
      }
    }
    this.#put(id, { agent, descriptor, revision }, slot);
    if (order > 0) this.#emit(agent);
    return true;
  }

  /**
   * Applies a presence event from the Bus to a known agent, if newer than held. Events for agents
   * the index does not hold are dropped: the Store record brings them.
   */
  applyPresence(e: PresenceEvent): boolean {
    const slot = this.#slots.get(e.agentId);
    if (!slot || !isNewerPresence(e, slot.agent)) return false;
    const changes: Partial<IndexedAgent> = { status: e.status, epoch: e.epoch, seq: e.seq, reason: e.reason };
    changes.sinceMs = e.atMs;
    if (e.epoch !== slot.agent.epoch) Object.assign(changes, { inFlight: 0, registeredAtMs: e.atMs });
    const agent = withChanges(slot.agent, changes);
    this.#put(e.agentId, { ...slot, agent }, slot);
    this.#emit(agent);
    return true;
  }

  /** Records a heartbeat received at `atMs` (this node's clock). */
  heartbeat(id: string, epoch: number, inFlight: number, atMs: number): HeartbeatOutcome {
    const slot = this.#slots.get(id);
    if (!slot || epoch > slot.agent.epoch) {
      this.#hold(id, epoch, atMs, inFlight);
      return slot ? "ahead" : "unknown";
    }
    if (epoch < slot.agent.epoch) return "stale";
    const a = slot.agent;
    slot.agent = withChanges(a, { lastSeenMs: Math.max(a.lastSeenMs, atMs), inFlight });
    return a.status === "online" ? "ok" : a.status;
  }

  /** Moves a known agent to a new position (from pose telemetry). False for an unknown agent. */
  move(id: string, position: PositionInit): boolean {
    const slot = this.#slots.get(id);
    if (!slot) return false;
    const point = pointOf(position, this.#origin);
    slot.agent = withChanges(slot.agent, { position: point });
    slot.descriptor = { ...slot.descriptor, position };
    this.#grid.set(id, point);
    this.#generation++;
    return true;
  }

  /** Forgets an agent (its record was deleted or expired); listeners hear it go offline. */
  remove(id: string, reason = "removed"): boolean {
    const slot = this.#slots.get(id);
    if (!slot) return false;
    this.#unindex(id, slot.agent);
    this.#slots.delete(id);
    this.#pending.delete(id);
    this.#generation++;
    this.#rosterGeneration++;
    this.#emit(withChanges(slot.agent, { status: "offline", reason }));
    return true;
  }

  #put(id: string, next: Slot, prev: Slot | undefined): void {
    this.#generation++;
    this.#rosterGeneration++;
    if (prev) this.#unindex(id, prev.agent);
    this.#slots.set(id, next);
    for (const cap of next.agent.capabilities) this.#caps.add(cap, id);
    this.#states.add(next.agent.status, id);
    this.#grid.set(id, next.agent.position);
  }

  #unindex(id: string, a: IndexedAgent): void {
    for (const cap of a.capabilities) this.#caps.remove(cap, id);
    this.#states.remove(a.status, id);
    this.#grid.delete(id);
  }

  #hold(id: string, epoch: number, atMs: number, inFlight: number): void {
    const prev = this.#pending.get(id);
    if (prev && prev.epoch > epoch) return;
    this.#pending.delete(id);
    if (this.#pending.size >= this.#maxPending) {
      const oldest = this.#pending.keys().next();
      if (!oldest.done) this.#pending.delete(oldest.value);
    }
    this.#pending.set(id, { epoch, atMs, inFlight });
  }

  #emit(a: IndexedAgent): void {
    const e: PresenceEvent = {
      agentId: a.id,
      status: a.status,
      epoch: a.epoch,
      seq: a.seq,
      reason: a.reason,
      atMs: a.sinceMs,
    };
    for (const listener of this.#listeners) {
      try {
        listener(e);
      } catch (err) {
        this.#log.error({ err, agentId: a.id }, "presence listener threw");
      }
    }
  }
}
