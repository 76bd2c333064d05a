import { type Clock, SwarmError, systemClock, validateId } from "@swarmlink/protocol";
import type { Store } from "@swarmlink/store";
import type { Bus } from "@swarmlink/transport";
import type { Logger } from "pino";
import type { CommandRouterOptions } from "../commands/mod.js";
import type { DispatcherOptions } from "../dispatcher/mod.js";
import { DEFAULT_LEASE_MS, DEFAULT_RENEW_MS } from "../election/mod.js";
import type { RegistryOptions } from "../registry/mod.js";

/** The election group whose leader runs the dispatcher and the presence sweeper. */
export const DEFAULT_COORDINATOR_GROUP = "coordinator";

type Tuning<T> = Partial<
  Omit<T, "bus" | "store" | "clock" | "log" | "directory" | "leadership" | "isAuthority">
>;

export interface SwarmNodeOptions {
  bus: Bus;
  store: Store;
  /** This replica's id, unique in the swarm. @default "node-" + a random suffix */
  nodeId?: string;
  /** Election group of the coordinators. @default "coordinator" */
  group?: string;
  /** Coordinator lease, in ms. @default 2000 */
  leaseMs?: number;
  /** How often the leader renews its lease, in ms; below leaseMs / 2. @default 500 */
  renewMs?: number;
  /** @default systemClock */
  clock?: Clock;
  /** Structured logs; children are made per part. @default silent */
  log?: Logger;
  registry?: Tuning<RegistryOptions>;
  dispatcher?: Tuning<DispatcherOptions>;
  commands?: Tuning<CommandRouterOptions>;
}

export interface ParsedNodeOptions
  extends Required<Omit<SwarmNodeOptions, "log" | "registry" | "dispatcher" | "commands">> {
  log: Logger | undefined;
  registry: Tuning<RegistryOptions>;
  dispatcher: Tuning<DispatcherOptions>;
  commands: Tuning<CommandRouterOptions>;
}

/** Merges defaults and rejects bad values with E_CONFIG naming the field. */
export function parseNodeOptions(opts: SwarmNodeOptions): ParsedNodeOptions {
  if (!opts.bus) throw new SwarmError("E_CONFIG", "a Bus is required", { field: "bus" });
  if (!opts.store) throw new SwarmError("E_CONFIG", "a Store is required", { field: "store" });
  const nodeId = opts.nodeId ?? `node-${Math.random().toString(36).slice(2, 8)}`;
  const group = opts.group ?? DEFAULT_COORDINATOR_GROUP;
  try {
    validateId("nodeId", nodeId);
    validateId("group", group);
  } catch (err) {
    throw new SwarmError("E_CONFIG", (err as Error).message, {
      field: nodeId === opts.nodeId ? "nodeId" : "group",
    });
  }
  return {
    bus: opts.bus,
    store: opts.store,
    nodeId,
    group,
    leaseMs: opts.leaseMs ?? DEFAULT_LEASE_MS,
    renewMs: opts.renewMs ?? DEFAULT_RENEW_MS,
    clock: opts.clock ?? systemClock,
    log: opts.log,
    registry: opts.registry ?? {},
    dispatcher: opts.dispatcher ?? {},
    commands: opts.commands ?? {},
  };
}
