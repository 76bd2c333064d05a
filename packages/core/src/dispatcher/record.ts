import {
  decodePayload,
  encodePayload,
  isValidId,
  type PayloadInit,
  SwarmError,
  swarmlink,
  type Task,
  type TaskInfo,
  TaskState,
} from "@swarmlink/protocol";
import { lengthDelimited } from "../tasks/splice.js";
import { encodedTask } from "./encoding.js";
import { writeRecord } from "./record-writer.js";

/** The `swarmlink.v1.Error` fields a record carries. */
export interface ErrorInfo {
  code: string;
  message: string;
  context: Record<string, string>;
}

/**
 * The dispatcher's record of one task: a `swarmlink.v1.TaskInfo` with every field present. Stored
 * at `kvKeys.task(id)` behind the FencedStore's 12-byte header (`decodeFenced` strips it), answered
 * to `get` and published on every transition. Records are replaced, never mutated.
 */
export interface TaskRecord {
  task: Task;
  state: TaskState;
  /** The agent holding the current attempt; kept on finished tasks for the record. */
  assignee: string;
  /** Awards made so far; the current attempt's number. */
  attempts: number;
  /** Token of the term that last wrote the record. */
  fencingToken: number;
  createdMs: number;
  updatedMs: number;
  reason: string;
  result: Uint8Array;
  error: ErrorInfo | undefined;
  /** Not retried before this instant, ms since the epoch; 0: at once. */
  notBeforeMs: number;
}

const EMPTY = new Uint8Array(0);

/** A new record for a task just taken in. */
export function newRecord(task: Task, token: number, nowMs: number): TaskRecord {
  return {
    task,
    state: TaskState.TASK_STATE_QUEUED,
    assignee: "",
    attempts: 0,
    fencingToken: token,
    createdMs: nowMs,
    updatedMs: nowMs,
    reason: "",
    result: EMPTY,
    error: undefined,
    notBeforeMs: 0,
  };
}

/** TaskInfo.task (schemas/swarmlink/v1/task.proto). */
const TASK_INFO_TASK_FIELD = 1;

/**
 * The record's bytes: an encoded `swarmlink.v1.TaskInfo` around its task's bytes
 * ({@link encodedTask}), written by hand ({@link writeRecord}), or the generic way for a record the
 * writer does not take (which refuses what the schema does not allow, E_ENCODE).
 */
export function encodeRecord(r: TaskRecord): Uint8Array {
  const task = encodedTask(r.task);
  const written = writeRecord(r, task);
  if (written) return written;
  const rest = encodePayload("swarmlink.v1.TaskInfo", {
    ...r,
    task: undefined,
  } as PayloadInit<"swarmlink.v1.TaskInfo">);
  return lengthDelimited(TASK_INFO_TASK_FIELD, [task], rest);
}

/**
 * A record from its bytes.
 * @throws SwarmError `E_DECODE` when they are not a TaskInfo with a task and a valid id.
 */
export function decodeRecord(bytes: Uint8Array): TaskRecord {
  const i: TaskInfo = decodePayload("swarmlink.v1.TaskInfo", bytes);
  const task = i.task as Task | null | undefined;
  if (!task || !isValidId(task.id)) throw new SwarmError("E_DECODE", "task record without a valid task");
  return {
    task,
    state: i.state,
    assignee: i.assignee,
    attempts: i.attempts,
    fencingToken: i.fencingToken,
    createdMs: i.createdMs,
    updatedMs: i.updatedMs,
    reason: i.reason,
    result: i.result,
    error: errorInfo(i.error),
    notBeforeMs: i.notBeforeMs,
  };
}

/** A copy of `r` with `patch` applied, updated at `nowMs`. */
export function change(r: TaskRecord, patch: Partial<TaskRecord>, nowMs: number): TaskRecord {
  return { ...r, ...patch, updatedMs: nowMs };
}

/** The task as an agent receives it: a copy with `attempt` set. */
export function taskForAttempt(task: Task, attempt: number): Task {
  return new swarmlink.v1.Task({ ...task, attempt });
}

/** A wire `Error` (as decoded) as the record's {@link ErrorInfo}. */
export function errorInfo(
  e:
    | { code?: string | null; message?: string | null; context?: Record<string, string> | null }
    | null
    | undefined,
): ErrorInfo | undefined {
  if (!e) return undefined;
  return { code: e.code ?? "", message: e.message ?? "", context: { ...(e.context ?? {}) } };
}
