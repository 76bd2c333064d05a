import type { Task } from "@swarmlink/protocol";
import { fromPromise } from "xstate";

/** What the `execute` actor of the ready machines gets. */
export interface ExecuteInput {
  task: Task;
}

/**
 * The default `execute` actor: finishes at once with `{ taskId }`. Replace it with the robot's
 * real work through `machine.provide({ actors: { execute: fromPromise(async ({ input, signal }) => …) } })`;
 * `signal` aborts when the machine leaves `executing` (cancel, restart).
 */
export const defaultExecute = fromPromise<unknown, ExecuteInput>(async ({ input }) => ({
  taskId: input.task.id,
}));

/** The code of a failure thrown by `execute` (a SwarmError's code, else E_INTERNAL). */
export function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : "E_INTERNAL";
}

/** The message of a failure thrown by `execute`. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
