import {
  encodePayload,
  isWireWhole,
  type PayloadInit,
  stringFieldSize,
  type Task,
  utf8Length,
  varintFieldSize,
  writeString,
  writeVarintField,
} from "@swarmlink/protocol";
import { lengthDelimited, repeated, varintField } from "../tasks/splice.js";

/**
 * Encoded Tasks, by the Task object they encode. A task's spec never changes while the dispatcher
 * holds it, yet it is most of every record write, event and award: it is encoded once (or taken as
 * submitted, {@link rememberTaskBytes}) and its bytes spliced in after (tasks/splice.ts). Taken as
 * submitted, a task keeps fields this build does not know, so they reach agents that do.
 */
const taskBytes = new WeakMap<Task, Uint8Array>();

/** Remembers `bytes` as the encoding of `task` (the submitted payload it was decoded from). */
export function rememberTaskBytes(task: Task, bytes: Uint8Array): void {
  taskBytes.set(task, bytes);
}

/**
 * A copy of a submitted task's bytes, in memory of its own, to remember: a decoded payload is a view
 * into the buffer the message was read into, which a remembered view would keep alive as long as the
 * task. (A Buffer's own `slice()` is such a view too, and `Buffer.from` takes a small copy from
 * Node's shared 8 KiB pool, which it would then pin.)
 */
export function ownTaskBytes(payload: Uint8Array): Uint8Array {
  return new Uint8Array(payload);
}

/** The encoded `task`: remembered, or encoded now and remembered. */
export function encodedTask(task: Task): Uint8Array {
  let bytes = taskBytes.get(task);
  if (!bytes) {
    bytes = encodePayload("swarmlink.v1.Task", task as PayloadInit<"swarmlink.v1.Task">);
    taskBytes.set(task, bytes);
  }
  return bytes;
}

/** Award.task, Task.attempt and AwardBatch.awards (schemas/swarmlink/v1/task.proto). */
const AWARD_TASK_FIELD = 7;
const TASK_ATTEMPT_FIELD = 13;
const AWARD_BATCH_AWARDS_FIELD = 1;

/**
 * An encoded `swarmlink.v1.Award` of `award` for `task` as the agent receives it (its `attempt`
 * set): the task's bytes followed by its attempt field — a later value of a scalar field wins when
 * a protobuf message is parsed, so that is the task with `attempt` set, whatever it held.
 */
export function encodeAward(award: AwardFields, task: Task): Uint8Array {
  const rest = writeAwardFields(award) ?? encodePayload("swarmlink.v1.Award", award);
  const attempt = varintField(TASK_ATTEMPT_FIELD, award.attempt ?? 0);
  return lengthDelimited(AWARD_TASK_FIELD, [encodedTask(task), attempt], rest);
}

/** An encoded `swarmlink.v1.AwardBatch` of encoded Awards. */
export function encodeAwardBatch(awards: Uint8Array[]): Uint8Array {
  return repeated(AWARD_BATCH_AWARDS_FIELD, awards);
}

/** An Award's own fields (its task is spliced in by {@link encodeAward}). */
export type AwardFields = Omit<PayloadInit<"swarmlink.v1.Award">, "task">;

/**
 * Award fields 1 to 6 written by hand, as protobufjs writes them; undefined for values it does not
 * take (a string that is not one, a number that is not a non-negative safe integer), which the
 * generic encoding then refuses or writes as before.
 */
function writeAwardFields(a: AwardFields): Uint8Array | undefined {
  const { taskId = "", agentId = "", coordinatorId = "" } = a;
  const token = a.fencingToken ?? 0;
  const attempt = a.attempt ?? 0;
  const deadline = a.deadlineMs ?? 0;
  if (typeof taskId !== "string" || typeof agentId !== "string" || typeof coordinatorId !== "string") {
    return undefined;
  }
  if (!isWireWhole(token) || !isWireWhole(attempt) || attempt > 0xffffffff || !isWireWhole(deadline))
    return undefined;
  const taskLen = utf8Length(taskId);
  const agentLen = utf8Length(agentId);
  const coordLen = utf8Length(coordinatorId);
  const buf = Buffer.allocUnsafe(
    stringFieldSize(taskLen) +
      stringFieldSize(agentLen) +
      varintFieldSize(token) +
      stringFieldSize(coordLen) +
      varintFieldSize(attempt) +
      varintFieldSize(deadline),
  );
  let p = writeString(buf, 0, 10, taskId, taskLen);
  p = writeString(buf, p, 18, agentId, agentLen);
  p = writeVarintField(buf, p, 24, token);
  p = writeString(buf, p, 34, coordinatorId, coordLen);
  p = writeVarintField(buf, p, 40, attempt);
  writeVarintField(buf, p, 48, deadline);
  return buf;
}
