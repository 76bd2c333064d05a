import type { Task } from "@swarmlink/protocol";
import { assign, emit, setup } from "xstate";
import type { SwarmEffect, SwarmEvent } from "../events.js";
import { biddingState, taskActions, taskStates } from "./effects.js";
import { defaultExecute } from "./execute.js";
import { DEFAULT_BID_TIMEOUT_MS } from "./worker.js";

/** Input of `batteryAware` (levels are fractions in [0, 1]). */
export interface BatteryInput {
  /** @default 1 */
  cost?: number;
  /** @default 2000 */
  bidTimeoutMs?: number;
  /** Starting level. @default 1 */
  level?: number;
  /** Below this it goes charging. @default 0.2 */
  threshold?: number;
  /** Charged: back to work. @default 0.9 */
  resumeLevel?: number;
  /** Simulated drain per task run (0: only `swarm.battery` readings move the level). @default 0.3 */
  drainPerTask?: number;
  /** Charge gained per `chargeTickMs` while charging. @default 0.25 */
  chargePerTick?: number;
  /** @default 500 */
  chargeTickMs?: number;
}

/** Context of `batteryAware` (JSON: it is persisted). */
export interface BatteryContext extends Required<BatteryInput> {
  taskId: string | undefined;
  task: Task | undefined;
  completed: number;
  failed: number;
  /** Times it went charging. */
  charges: number;
}

const low = ({ context }: { context: BatteryContext }) => context.level < context.threshold;

/**
 * A worker that minds its battery: `active` (`idle` → `bidding` → `executing` → `reporting`, as
 * `worker`) and `charging`. Each run drains `drainPerTask` (or `swarm.battery` readings set the
 * level); below `threshold`, once the running task is reported, it drops its credits (`swarm.accepting`
 * false: no bids, awards refused) and charges until `resumeLevel`, then takes tasks again.
 *
 * @example
 * ```ts
 * await bindBehaviour(agent, batteryAware, { capabilities: ["pick"], input: { threshold: 0.3 } });
 * ```
 */
export const batteryAware = setup({
  types: {
    context: {} as BatteryContext,
    events: {} as SwarmEvent,
    emitted: {} as SwarmEffect,
    input: {} as BatteryInput | undefined,
  },
  actors: { execute: defaultExecute },
  delays: {
    bidTimeout: ({ context }) => context.bidTimeoutMs,
    chargeTick: ({ context }) => context.chargeTickMs,
  },
  guards: {
    isOurs: ({ context, event }) => "taskId" in event && event.taskId === context.taskId,
    low,
    lowReading: ({ context, event }) => event.type === "swarm.battery" && event.level < context.threshold,
    charged: ({ context }) => context.level >= context.resumeLevel,
  },
  actions: {
    ...taskActions<BatteryContext>("E_UNAVAILABLE"),
    read: assign({
      level: ({ context, event }) => (event.type === "swarm.battery" ? event.level : context.level),
    }),
    drain: assign({ level: ({ context }) => Math.max(0, context.level - context.drainPerTask) }),
    charge: assign({ level: ({ context }) => Math.min(1, context.level + context.chargePerTick) }),
    report: emit(({ context }) => ({
      type: "swarm.telemetry" as const,
      stream: "energy",
      value: { level: context.level },
      conflate: true,
    })),
    stopTaking: emit({ type: "swarm.accepting", accepting: false }),
    startTaking: emit({ type: "swarm.accepting", accepting: true }),
  },
}).createMachine({
  id: "batteryAware",
  context: ({ input }) => ({
    cost: input?.cost ?? 1,
    bidTimeoutMs: input?.bidTimeoutMs ?? DEFAULT_BID_TIMEOUT_MS,
    level: input?.level ?? 1,
    threshold: input?.threshold ?? 0.2,
    resumeLevel: input?.resumeLevel ?? 0.9,
    drainPerTask: input?.drainPerTask ?? 0.3,
    chargePerTick: input?.chargePerTick ?? 0.25,
    chargeTickMs: input?.chargeTickMs ?? 500,
    taskId: undefined,
    task: undefined,
    completed: 0,
    failed: 0,
    charges: 0,
  }),
  initial: "active",
  states: {
    active: {
      initial: "idle",
      on: { "swarm.battery": { actions: "read" } },
      states: {
        idle: {
          entry: "forget",
          always: { guard: "low", target: "#batteryAware.charging" },
          on: {
            "swarm.battery": { actions: "read", target: "idle", reenter: true },
            "swarm.task.offered": { target: "bidding", actions: "bid" },
            "swarm.task.awarded": { target: "executing", actions: ["take", "accept"] },
          },
        },
        bidding: biddingState("idle"),
        ...taskStates<BatteryContext, "drain" | "report">("#batteryAware.active.idle", ["drain", "report"]),
      },
    },
    charging: {
      entry: [assign({ charges: ({ context }) => context.charges + 1 }), "stopTaking", "report"],
      exit: "startTaking",
      always: { guard: "charged", target: "active" },
      initial: "plugged",
      states: {
        plugged: {
          after: { chargeTick: { target: "plugged", reenter: true, actions: ["charge", "report"] } },
        },
      },
      on: {
        "swarm.battery": { actions: "read" },
        "swarm.task.awarded": { actions: "refuse" },
        "swarm.restored": { actions: "stopTaking" },
      },
    },
  },
});
