import { TaskState } from "@swarmlink/protocol";

/**
 * The life-cycle names of the issue, by `TaskState`:
 *
 * | TaskState        | life cycle      | who sets it | meaning                                                       |
 * | ---------------- | --------------- | ----------- | ------------------------------------------------------------- |
 * | `QUEUED`         | `pending`       | dispatcher  | waiting for an agent (or for `not_before_ms`, after a retry)  |
 * | `OFFERED`        | `offered`       | dispatcher  | an auction is collecting bids                                 |
 * | `AWARDED`        | `assigned`      | dispatcher  | awarded to `assignee`; its answer is awaited                  |
 * | `ACCEPTED`       | `running`       | agent       | the assignee took it                                          |
 * | `PROGRESS`       | `running`       | agent       | the assignee reported progress                                |
 * | `SUCCEEDED`      | `succeeded`     | agent       | done; `result` holds the output (terminal)                    |
 * | `FAILED`         | `failed`        | agent       | one attempt failed; an event only, never a stored state: the  |
 * |                  |                 |             | task moves on at once to `QUEUED` (retry) or `DEAD_LETTERED`  |
 * | `EXPIRED`        | `timed_out`     | dispatcher  | not finished by `deadline_ms` (terminal)                      |
 * | `CANCELLED`      | `cancelled`     | dispatcher  | cancelled on request (terminal)                               |
 * | `DEAD_LETTERED`  | `dead_lettered` | dispatcher  | out of attempts or invalid; a copy is in `SWARM_DLQ` (terminal) |
 *
 * `REJECTED` is an agent's answer to an award, never a task's state.
 */
export type LifecycleName =
  | "pending"
  | "offered"
  | "assigned"
  | "running"
  | "succeeded"
  | "failed"
  | "timed_out"
  | "cancelled"
  | "dead_lettered"
  | "unknown";

const NAMES = new Map<TaskState, LifecycleName>([
  [TaskState.TASK_STATE_QUEUED, "pending"],
  [TaskState.TASK_STATE_OFFERED, "offered"],
  [TaskState.TASK_STATE_AWARDED, "assigned"],
  [TaskState.TASK_STATE_ACCEPTED, "running"],
  [TaskState.TASK_STATE_PROGRESS, "running"],
  [TaskState.TASK_STATE_SUCCEEDED, "succeeded"],
  [TaskState.TASK_STATE_FAILED, "failed"],
  [TaskState.TASK_STATE_EXPIRED, "timed_out"],
  [TaskState.TASK_STATE_CANCELLED, "cancelled"],
  [TaskState.TASK_STATE_DEAD_LETTERED, "dead_lettered"],
]);

/** States a task never leaves. */
export const TERMINAL_STATES: ReadonlySet<TaskState> = new Set([
  TaskState.TASK_STATE_SUCCEEDED,
  TaskState.TASK_STATE_EXPIRED,
  TaskState.TASK_STATE_CANCELLED,
  TaskState.TASK_STATE_DEAD_LETTERED,
]);

/** States in which a task holds one of its assignee's credits. */
export const HOLDING_STATES: ReadonlySet<TaskState> = new Set([
  TaskState.TASK_STATE_AWARDED,
  TaskState.TASK_STATE_ACCEPTED,
  TaskState.TASK_STATE_PROGRESS,
]);

/** True for SUCCEEDED, EXPIRED, CANCELLED and DEAD_LETTERED. */
export function isTerminal(state: TaskState): boolean {
  return TERMINAL_STATES.has(state);
}

/**
 * The life-cycle name of a state (see the table above).
 *
 * @example
 * ```ts
 * lifecycleName(TaskState.TASK_STATE_EXPIRED); // "timed_out"
 * ```
 */
export function lifecycleName(state: TaskState): LifecycleName {
  return NAMES.get(state) ?? "unknown";
}

/** The short name of a state, e.g. `"QUEUED"`, for logs and reasons. */
export function taskStateName(state: TaskState): string {
  return (TaskState[state] ?? String(state)).replace("TASK_STATE_", "");
}
