import { encodePayload, type PayloadInit, type Task } from "@swarmlink/protocol";

/**
 * Encoded Tasks, by the Task object they encode. A task's spec never changes while the dispatcher
 * holds it, yet it is most of every record write, event and award: it is encoded once (or taken as
 * submitted, {@link rememberTaskBytes}) and its bytes spliced in after.
 */
const taskBytes = new WeakMap<Task, Uint8Array>();

/** Remembers `bytes` as the encoding of `task` (the submitted payload it was decoded from). */
export function rememberTaskBytes(task: Task, bytes: Uint8Array): void {
  taskBytes.set(task, bytes);
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
 * a protobuf message is parsed, so that is the task with `attempt` set.
 */
export function encodeAward(award: Omit<PayloadInit<"swarmlink.v1.Award">, "task">, task: Task): Uint8Array {
  const rest = encodePayload("swarmlink.v1.Award", award);
  const attempt = new Uint8Array([...varint((TASK_ATTEMPT_FIELD << 3) | 0), ...varint(award.attempt ?? 0)]);
  return withMessageField(AWARD_TASK_FIELD, [encodedTask(task), attempt], rest);
}

/** An encoded `swarmlink.v1.AwardBatch` of encoded Awards. */
export function encodeAwardBatch(awards: Uint8Array[]): Uint8Array {
  let length = 0;
  const heads = awards.map((a) => {
    const head = [...varint((AWARD_BATCH_AWARDS_FIELD << 3) | 2), ...varint(a.length)];
    length += head.length + a.length;
    return head;
  });
  const out = new Uint8Array(length);
  let at = 0;
  awards.forEach((a, i) => {
    out.set(heads[i]!, at);
    at += heads[i]!.length;
    out.set(a, at);
    at += a.length;
  });
  return out;
}

/** `rest` preceded by field `field` (length-delimited) holding the concatenated `parts`. */
export function withMessageField(field: number, parts: Uint8Array[], rest: Uint8Array): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const head = [...varint((field << 3) | 2), ...varint(length)];
  const out = new Uint8Array(head.length + length + rest.length);
  out.set(head, 0);
  let at = head.length;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  out.set(rest, at);
  return out;
}

/** A protobuf varint (`n` a whole number < 2^32). */
function varint(n: number): number[] {
  const out: number[] = [];
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
