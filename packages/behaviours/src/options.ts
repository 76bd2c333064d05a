import { type Clock, SwarmError, systemClock, validateId } from "@swarmlink/protocol";
import type { Swarm } from "@swarmlink/sdk";
import type { Store } from "@swarmlink/store";

/** Store prefix of persisted behaviour snapshots: `behaviours.{agentId}`. */
export const BEHAVIOUR_KEY_PREFIX = "behaviours.";
/** Telemetry stream of the machine's state and context. */
export const DEFAULT_TELEMETRY_STREAM = "behaviour";
/** Quiet time after a transition before the snapshot is written, in ms (0 writes on the next tick). */
export const DEFAULT_PERSIST_DEBOUNCE_MS = 50;

/** Options of `bindBehaviour`. */
export interface BindOptions {
  /** Capabilities whose tasks (awards and auction offers) go to the machine. @default [] */
  capabilities?: string[];
  /** Command names whose requests go to the machine as `swarm.command`. @default [] */
  commands?: string[];
  /** Groups to elect in: each holder change is a `swarm.leader`. @default [] */
  elect?: string[];
  /** Follow the pose telemetry of each elected group's holder as `swarm.peer.pose` (needs `swarm`). @default true when `elect` is given */
  trackLeaderPose?: boolean;
  /** The Swarm the agent belongs to: presence (`swarm.agents.watch`) and peers' poses. */
  swarm?: Swarm;
  /** Send peers' presence as `swarm.presence` (needs `swarm`). @default true when `swarm` is given */
  watchPresence?: boolean;
  /** Where the actor's persisted snapshot is kept; none: not persisted. */
  store?: Store;
  /** Store key of the snapshot. @default `behaviours.{agentId}` */
  key?: string;
  /** Telemetry stream of `{ value, context, status }`, conflated; "" publishes none. @default "behaviour" */
  telemetryStream?: string;
  /** Quiet time after a transition before the snapshot is written, in ms. @default 50 */
  persistDebounceMs?: number;
  /** The machine's input (a fresh start only; a restored actor keeps its context). */
  input?: unknown;
  /** Drives the machine's delays (`after`) and the persistence debounce. @default systemClock */
  clock?: Clock;
  /** Failures inside the binding or the machine (a failed write, a refused effect, an actor error). @default ignore */
  onError?: (err: SwarmError) => void;
}

export interface ParsedBindOptions {
  capabilities: string[];
  commands: string[];
  elect: string[];
  trackLeaderPose: boolean;
  swarm: Swarm | undefined;
  watchPresence: boolean;
  store: Store | undefined;
  key: string;
  telemetryStream: string;
  persistDebounceMs: number;
  input: unknown;
  clock: Clock;
  onError: (err: SwarmError) => void;
}

function config(field: string, f: () => unknown): void {
  try {
    f();
  } catch (err) {
    throw new SwarmError("E_CONFIG", (err as Error).message, { field }, { cause: err });
  }
}

const KEY = /^[A-Za-z0-9_=/-]+(\.[A-Za-z0-9_=/-]+)*$/;

/** Merges defaults; `E_CONFIG` naming the field for a bad one. */
export function parseBindOptions(agentId: string, o: BindOptions = {}): ParsedBindOptions {
  const list = (field: string, v: string[] | undefined) => {
    if (v !== undefined && !Array.isArray(v))
      throw new SwarmError("E_CONFIG", `${field} must be an array`, { field });
    for (const s of v ?? []) config(field, () => validateId(field, s));
    return [...(v ?? [])];
  };
  const key = o.key ?? BEHAVIOUR_KEY_PREFIX + agentId;
  if (typeof key !== "string" || key.length > 256 || !KEY.test(key))
    throw new SwarmError("E_CONFIG", "key must be `.`-joined segments of [A-Za-z0-9_=/-]", { field: "key" });
  const debounce = o.persistDebounceMs ?? DEFAULT_PERSIST_DEBOUNCE_MS;
  if (!Number.isFinite(debounce) || debounce < 0)
    throw new SwarmError("E_CONFIG", "persistDebounceMs must be ≥ 0", { field: "persistDebounceMs" });
  const elect = list("elect", o.elect);
  const swarm = o.swarm;
  return {
    capabilities: list("capabilities", o.capabilities),
    commands: list("commands", o.commands),
    elect,
    trackLeaderPose: (o.trackLeaderPose ?? elect.length > 0) && swarm !== undefined,
    swarm,
    watchPresence: (o.watchPresence ?? true) && swarm !== undefined,
    store: o.store,
    key,
    telemetryStream: o.telemetryStream ?? DEFAULT_TELEMETRY_STREAM,
    persistDebounceMs: debounce,
    input: o.input,
    clock: o.clock ?? systemClock,
    onError: o.onError ?? (() => {}),
  };
}
