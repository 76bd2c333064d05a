/**
 * Test helpers of the dispatcher: an in-memory AgentDirectory, simulated agents on the Bus, and a
 * swarm in simulated time (MemoryBus + MemoryStore + SimulatedClock + real elections).
 */
import { kvKeys, SimulatedClock } from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import { Dispatcher, decodeRecord, type TaskRecord } from "../../src/dispatcher/mod.js";
import type { DispatcherOptions } from "../../src/dispatcher/options.js";
import { decodeFenced, elect } from "../../src/election/mod.js";
import { TaskClient } from "../../src/tasks/mod.js";
import type {
  AgentDirectory,
  AgentQuery,
  AgentRecord,
  Leadership,
  Point,
  PresenceEvent,
  PresenceState,
} from "../../src/types.js";
import { SimAgent, type SimAgentOptions } from "./dispatcher-agent.js";

export type { AwardSeen, Behaviour, SimAgentOptions } from "./dispatcher-agent.js";
export { SimAgent } from "./dispatcher-agent.js";

/** Lets every pending promise chain run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Advances simulated time in steps until `cond()` holds; returns the ms it took, or throws after `maxMs`. */
export async function runUntil(clock: SimulatedClock, cond: () => boolean, maxMs: number, stepMs = 10) {
  const start = clock.now();
  await settle();
  while (!cond()) {
    if (clock.now() - start > maxMs) throw new Error(`condition not met within ${maxMs} simulated ms`);
    clock.advance(stepMs);
    await settle();
  }
  return clock.now() - start;
}

/** Advances simulated time by `ms` in steps, letting promises settle after each. */
export async function run(clock: SimulatedClock, ms: number, stepMs = 10): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    await settle();
  }
}

/** An online robot with one credit and nothing else, but what `a` gives. */
export function agentRecord(a: Partial<AgentRecord> & { id: string }): AgentRecord {
  return {
    kind: "robot",
    capabilities: [],
    attributes: {},
    position: undefined,
    credits: 1,
    awardBatches: false,
    softwareVersion: "1",
    status: "online",
    epoch: 1,
    seq: 0,
    registeredAtMs: 0,
    lastSeenMs: 0,
    ...a,
  };
}

/** An AgentDirectory held in memory, changed by hand. */
export class FakeDirectory implements AgentDirectory {
  #agents = new Map<string, AgentRecord>();
  #listeners = new Set<(e: PresenceEvent) => void>();
  generation = 0;
  /** Kept only when asked for (`{ roster: true }`): most tests take the directory at `generation`. */
  rosterGeneration: number | undefined;

  constructor(o: { roster?: boolean } = {}) {
    this.rosterGeneration = o.roster ? 0 : undefined;
  }

  add(a: Partial<AgentRecord> & { id: string }): AgentRecord {
    const rec = agentRecord(a);
    this.#agents.set(rec.id, rec);
    this.#changed(true);
    this.#emit(rec, "registered");
    return rec;
  }

  setStatus(id: string, status: PresenceState): void {
    const a = this.#agents.get(id)!;
    const rec = { ...a, status, seq: a.seq + 1 };
    this.#agents.set(id, rec);
    this.#changed(true);
    this.#emit(rec, status);
  }

  /** A pose: a new position, and nothing else. */
  move(id: string, position: Point): void {
    this.#agents.set(id, { ...this.#agents.get(id)!, position });
    this.#changed(false);
  }

  #changed(roster: boolean): void {
    this.generation++;
    if (roster && this.rosterGeneration !== undefined) this.rosterGeneration++;
  }

  get(id: string): AgentRecord | undefined {
    return this.#agents.get(id);
  }

  /** Filters by capabilities, attributes and status; `nearest` as the registry answers it (on the plane). */
  query(q: AgentQuery): AgentRecord[] {
    const statuses = q.status === undefined ? undefined : Array.isArray(q.status) ? q.status : [q.status];
    const found = [...this.#agents.values()].filter(
      (a) =>
        (q.capabilities ?? []).every((c) => a.capabilities.includes(c)) &&
        Object.entries(q.attributes ?? {}).every(([k, v]) => a.attributes[k] === v) &&
        (!statuses || statuses.includes(a.status)),
    );
    if (!q.nearest) return found;
    const { x, y, k } = q.nearest;
    const d2 = (p: Point) => (p.x - x) ** 2 + (p.y - y) ** 2;
    return found
      .filter((a) => a.position)
      .sort((a, b) => d2(a.position!) - d2(b.position!) || (a.id < b.id ? -1 : 1))
      .slice(0, k);
  }

  onPresence(listener: (e: PresenceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  get size(): number {
    return this.#agents.size;
  }

  #emit(a: AgentRecord, reason: string): void {
    const e = { agentId: a.id, status: a.status, epoch: a.epoch, seq: a.seq, reason, atMs: 0 };
    for (const l of this.#listeners) l(e);
  }
}

/** A swarm in simulated time: one Bus, one Store, one directory; dispatchers and agents join it. */
export class SimSwarm {
  readonly clock = new SimulatedClock(1_700_000_000_000);
  readonly bus: MemoryBus;
  readonly store = new MemoryStore({ clock: this.clock });
  readonly directory = new FakeDirectory();
  readonly agents: SimAgent[] = [];
  readonly leaderships: Leadership[] = [];
  readonly dispatchers: Dispatcher[] = [];
  /** Submits and asks, as a user would. */
  readonly client: TaskClient;

  /** `maxPayloadBytes`: the memory Bus's largest payload. @default the Bus's default */
  constructor(o: { maxPayloadBytes?: number } = {}) {
    this.bus = new MemoryBus({ clock: this.clock, ...o });
    this.client = new TaskClient({ bus: this.bus, clock: this.clock });
  }

  /** The stored record of a task (past the fencing header), with the token of the term that wrote it. */
  async record(id: string): Promise<(TaskRecord & { writtenUnder: number }) | undefined> {
    const e = await this.store.get(kvKeys.task(id));
    if (!e) return undefined;
    const { token, payload } = decodeFenced(e.value);
    return { ...decodeRecord(payload), writtenUnder: token };
  }

  /** A candidate of the `dispatcher` election and its dispatcher (started). */
  async dispatcher(
    id: string,
    opts: Partial<DispatcherOptions> = {},
  ): Promise<{ d: Dispatcher; l: Leadership }> {
    const l =
      opts.leadership ??
      elect(this.store, "dispatcher", id, { clock: this.clock, leaseMs: 2000, renewMs: 500 });
    this.leaderships.push(l);
    const d = new Dispatcher({
      bus: this.bus,
      store: this.store,
      directory: this.directory,
      leadership: l,
      coordinatorId: id,
      clock: this.clock,
      random: () => 0,
      ...opts,
    });
    this.dispatchers.push(d);
    await d.start();
    return { d, l };
  }

  /** A dispatcher that leads and has taken over. */
  async leader(id = "node-a", opts: Partial<DispatcherOptions> = {}) {
    const r = await this.dispatcher(id, opts);
    await runUntil(this.clock, () => r.d.leading, 10_000);
    return r;
  }

  agent(a: Partial<AgentRecord> & { id: string }, o: Partial<SimAgentOptions> = {}): SimAgent {
    this.directory.add(a);
    const agent = new SimAgent({ bus: this.bus, clock: this.clock, id: a.id, ...o });
    this.agents.push(agent);
    return agent;
  }

  async close(): Promise<void> {
    for (const a of this.agents) a.close();
    for (const d of this.dispatchers) await d.stop();
    for (const l of this.leaderships) await l.close();
    await this.bus.close();
    await this.store.close();
  }
}
