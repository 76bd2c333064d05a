import { PresenceStatus, SimulatedClock } from "@swarmlink/protocol";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import type { AgentInfoInit, RegistryOptions } from "../../src/registry/mod.js";
import { Registry } from "../../src/registry/mod.js";
import type { PresenceState } from "../../src/types.js";

/** A start time far from 0: envelopes need a positive time. */
export const T0 = 1_700_000_000_000;

/** Lets every pending promise chain and microtask run. */
export async function settle(rounds = 8): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Moves simulated time forward in steps, letting promises settle after each. */
export async function advance(clock: SimulatedClock, ms: number, stepMs = 100): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    await settle();
  }
}

/** Settles (and advances simulated time, if a clock is given) until `cond()` holds. */
export async function until(
  cond: () => boolean,
  clock?: SimulatedClock,
  maxMs = 30_000,
  stepMs = 50,
): Promise<void> {
  const start = clock?.now() ?? Date.now();
  for (;;) {
    await settle();
    if (cond()) return;
    const now = clock?.now() ?? Date.now();
    if (now - start > maxMs) throw new Error(`condition not met within ${maxMs} ms`);
    if (clock) clock.advance(stepMs);
    else await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** One bus and one store in simulated time, shared by every node a test starts. */
export class World {
  readonly clock = new SimulatedClock(T0);
  readonly bus = new MemoryBus({ clock: this.clock });
  readonly store = new MemoryStore({ clock: this.clock });
  readonly #nodes: Registry[] = [];

  async node(opts: Partial<RegistryOptions> = {}): Promise<Registry> {
    const r = new Registry({ bus: this.bus, store: this.store, clock: this.clock, ...opts });
    this.#nodes.push(r);
    await r.start();
    await settle();
    return r;
  }

  async close(): Promise<void> {
    for (const n of this.#nodes) await n.stop();
    await this.bus.close();
    await this.store.close();
  }
}

const STATUS: Record<PresenceState, PresenceStatus> = {
  online: PresenceStatus.PRESENCE_STATUS_ONLINE,
  suspect: PresenceStatus.PRESENCE_STATUS_SUSPECT,
  offline: PresenceStatus.PRESENCE_STATUS_OFFLINE,
};

/** A record as the registry would store it. */
export function info(
  id: string,
  o: {
    epoch?: number;
    seq?: number;
    status?: PresenceState;
    caps?: string[];
    attrs?: Record<string, string>;
    at?: { x: number; y: number };
    lastSeenMs?: number;
  } = {},
): AgentInfoInit {
  return {
    descriptor: {
      id,
      capabilities: o.caps ?? [],
      attributes: o.attrs ?? {},
      position: o.at ? { cartesian: { x: o.at.x, y: o.at.y } } : undefined,
      credits: 1,
    },
    presence: {
      agentId: id,
      status: STATUS[o.status ?? "online"],
      epoch: o.epoch ?? 1,
      seq: o.seq ?? 0,
      reason: "test",
      sinceMs: T0,
    },
    registeredMs: T0,
    lastSeenMs: o.lastSeenMs ?? T0,
  };
}
