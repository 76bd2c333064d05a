import type { Task } from "@swarmlink/protocol";
import { assign, type DoneActorEvent, type ErrorActorEvent, type EventObject, emit } from "xstate";
import type { Point, SwarmEffect, SwarmEvent } from "../events.js";
import { codeOf, messageOf } from "./execute.js";

/** The part of a ready machine's context that holds its task (every task-taking machine has it). */
export interface TaskSlot {
  /** What it bids for every task (lower wins). */
  cost: number;
  /** The task it bid for or runs. */
  taskId: string | undefined;
  task: Task | undefined;
  completed: number;
  failed: number;
}

/**
 * The task actions shared by the ready machines: `bid` (the offered task at `cost`), `take` (the
 * awarded task into the context), `accept`, `refuse` (an award it cannot take, with `refuseCode`),
 * `forget` (clear the task).
 */
export function taskActions<TContext extends TaskSlot>(refuseCode: string) {
  return {
    bid: emit<TContext, SwarmEvent, undefined, SwarmEvent, SwarmEffect>(({ context, event }) => ({
      type: "swarm.bid",
      taskId: event.type === "swarm.task.offered" ? event.task.id : "",
      cost: context.cost,
    })),
    take: assign<TContext, SwarmEvent, undefined, SwarmEvent, never>(({ event }) =>
      event.type === "swarm.task.awarded"
        ? ({ task: event.task, taskId: event.task.id } as Partial<TContext>)
        : {},
    ),
    accept: emit<TContext, SwarmEvent, undefined, SwarmEvent, SwarmEffect>(({ context }) => ({
      type: "swarm.accept",
      taskId: context.taskId ?? "",
    })),
    refuse: emit<TContext, SwarmEvent, undefined, SwarmEvent, SwarmEffect>(({ event }) => ({
      type: "swarm.refuse",
      taskId: event.type === "swarm.task.awarded" ? event.task.id : "",
      code: refuseCode,
    })),
    forget: assign<TContext, SwarmEvent, undefined, SwarmEvent, never>({
      task: undefined,
      taskId: undefined,
    }),
  };
}

/** The `execute` actor finished: count it and emit `swarm.complete` with its output. */
export const completeTask = <TContext extends TaskSlot>() =>
  [
    assign<TContext, DoneActorEvent, undefined, SwarmEvent, never>(
      ({ context }) => ({ completed: context.completed + 1 }) as Partial<TContext>,
    ),
    emit<TContext, DoneActorEvent, undefined, SwarmEvent, SwarmEffect>(({ context, event }) => ({
      type: "swarm.complete",
      taskId: context.taskId ?? "",
      result: event.output ?? null,
    })),
  ] as const;

/** The `execute` actor failed: count it and emit `swarm.fail` with the error's code. */
export const failTask = <TContext extends TaskSlot>() =>
  [
    assign<TContext, ErrorActorEvent, undefined, SwarmEvent, never>(
      ({ context }) => ({ failed: context.failed + 1 }) as Partial<TContext>,
    ),
    emit<TContext, ErrorActorEvent, undefined, SwarmEvent, SwarmEffect>(({ context, event }) => ({
      type: "swarm.fail",
      taskId: context.taskId ?? "",
      code: codeOf(event.error),
      message: messageOf(event.error),
    })),
  ] as const;

/** A conflated `pose` telemetry sample of `position` (what `follower`s track of their leader). */
export const publishPose = <TContext extends { position: Point; poseStream: string }>() =>
  emit<TContext, EventObject, undefined, SwarmEvent, SwarmEffect>(({ context }) => ({
    type: "swarm.telemetry",
    stream: context.poseStream,
    value: { x: context.position.x, y: context.position.y },
    conflate: true,
  }));

/**
 * The `executing` → `reporting` states of a task-taking machine, as `worker` has them: the `execute`
 * actor, `swarm.complete` / `swarm.fail`, another award refused, back to `done` (a state id such as
 * `#patrol.patrolling`) when the report went out, the task was cancelled, or the actor was restored.
 * Uses the `refuse` action and the `isOurs` guard of the machine.
 */
export function taskStates<TContext extends TaskSlot, TAction extends string = never>(
  done: string,
  /** Named actions of the machine run before the outcome's own when `execute` settles. */
  settled: readonly TAction[] = [],
) {
  return {
    executing: {
      invoke: {
        id: "execute",
        src: "execute",
        input: ({ context }: { context: TContext }) => ({ task: context.task as Task }),
        onDone: { target: "reporting", actions: [...settled, ...completeTask<TContext>()] },
        onError: { target: "reporting", actions: [...settled, ...failTask<TContext>()] },
      },
      on: {
        "swarm.task.awarded": { actions: "refuse" },
        "swarm.task.cancelled": { guard: "isOurs", target: done },
        "swarm.restored": done,
      },
    },
    reporting: {
      on: {
        "swarm.task.awarded": { actions: "refuse" },
        "swarm.task.reported": { guard: "isOurs", target: done },
        "swarm.restored": done,
      },
    },
  } as const;
}

/**
 * The bidding state the task machines share: after a bid it waits `bidTimeout` for the award,
 * bids again on a new offer, and goes executing when awarded. Uses the `bid`, `take` and `accept`
 * actions and the `bidTimeout` delay of the machine.
 */
export function biddingState(idle: string) {
  return {
    after: { bidTimeout: idle },
    on: {
      "swarm.task.offered": { target: "bidding", reenter: true, actions: "bid" },
      "swarm.task.awarded": { target: "executing", actions: ["take", "accept"] },
    },
  } as const;
}
