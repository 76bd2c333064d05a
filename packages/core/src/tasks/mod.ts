/**
 * The client side of tasks: `TaskClient` (submit, get, cancel, list, watch), the id an idempotency
 * key names, the task spec and its checks, state names, and the wire helpers the dispatcher shares.
 *
 * @module
 */

export type { ReportBatcherOptions, ResultInit } from "./batches.js";
export { answerAwardBatch, MAX_REPORTS_PER_BATCH, ReportBatcher, reportAlone } from "./batches.js";
export type {
  SubmitResult,
  TaskCallOptions,
  TaskClientOptions,
  TaskListOptions,
} from "./client.js";
export {
  DEFAULT_TASK_CLIENT_SOURCE,
  DEFAULT_TASK_CLIENT_TIMEOUT_MS,
  DEFAULT_WATCH_MAX_PENDING,
  TaskClient,
} from "./client.js";
export { MAX_TASK_IDEMPOTENCY_KEY_BYTES, taskIdFactory, taskIdForKey } from "./ids.js";
export type { StrategyName, TaskProblem, TaskSpec } from "./spec.js";
export { buildTask, taskProblem } from "./spec.js";
export type { LifecycleName } from "./states.js";
export { HOLDING_STATES, isTerminal, lifecycleName, TERMINAL_STATES, taskStateName } from "./states.js";
export {
  DEAD_LETTER_STREAM,
  envelopeBytes,
  errorBytes,
  readReply,
  swarmErrorOf,
  TASKS_STREAM,
} from "./wire.js";
