import type { Task } from "@swarmlink/protocol";
import { setup } from "xstate";
import type { SwarmEffect, SwarmEvent } from "../events.js";
import { biddingState, taskActions, taskStates } from "./effects.js";
import { defaultExecute } from "./execute.js";

/** How long `worker` waits in `bidding` for an award, in ms. */
export const DEFAULT_BID_TIMEOUT_MS = 2000;

/** Input of `worker`. */
export interface WorkerInput {
  /** What it bids for every task (lower wins). @default 1 */
  cost?: number;
  /** How long it waits in `bidding` for the award, in ms. @default 2000 */
  bidTimeoutMs?: number;
}

/** Context of `worker` (JSON: it is persisted). */
export interface WorkerContext {
  cost: number;
  bidTimeoutMs: number;
  /** The task it bid for or runs. */
  taskId: string | undefined;
  task: Task | undefined;
  completed: number;
  failed: number;
}

/**
 * A worker: `idle` → (offer: bid) `bidding` → (award: accept) `executing` → `reporting` → `idle`.
 * An award while idle (queue strategy) is taken too; a second award while busy is refused
 * (`E_OVERFLOW`); a cancel of the running task goes back to `idle`. The work is the `execute` actor.
 *
 * @example
 * ```ts
 * const machine = worker.provide({ actors: { execute: fromPromise(async ({ input, signal }) => pick(input.task, signal)) } });
 * const bound = await bindBehaviour(agent, machine, { capabilities: ["pick"], store });
 * ```
 */
export const worker = setup({
  types: {
    context: {} as WorkerContext,
    events: {} as SwarmEvent,
    emitted: {} as SwarmEffect,
    input: {} as WorkerInput | undefined,
  },
  actors: { execute: defaultExecute },
  delays: { bidTimeout: ({ context }) => context.bidTimeoutMs },
  guards: {
    isOurs: ({ context, event }) => "taskId" in event && event.taskId === context.taskId,
  },
  actions: taskActions<WorkerContext>("E_OVERFLOW"),
}).createMachine({
  id: "worker",
  context: ({ input }) => ({
    cost: input?.cost ?? 1,
    bidTimeoutMs: input?.bidTimeoutMs ?? DEFAULT_BID_TIMEOUT_MS,
    taskId: undefined,
    task: undefined,
    completed: 0,
    failed: 0,
  }),
  initial: "idle",
  states: {
    idle: {
      entry: "forget",
      on: {
        "swarm.task.offered": { target: "bidding", actions: "bid" },
        "swarm.task.awarded": { target: "executing", actions: ["take", "accept"] },
      },
    },
    bidding: biddingState("idle"),
    ...taskStates<WorkerContext>("#worker.idle"),
  },
});
