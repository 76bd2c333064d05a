import { type TaskResult, TaskState } from "@swarmlink/protocol";
import { HOLDING_STATES, isTerminal, taskStateName } from "../tasks/states.js";
import { change, type ErrorInfo, errorInfo, type TaskRecord } from "./record.js";

/**
 * The transitions of a task record, as pure functions of (record, event, now). Each returns the
 * {@link Step} to take, or undefined when the event does not apply to the record as it is now (a
 * stale report, a second cancel, an answer for an attempt that already ended): the caller then
 * changes nothing. Every step is taken under the task's lock, so no two race.
 */
export interface Step {
  next: TaskRecord;
  /** Published on `taskEvents` before `next`, never stored (the `FAILED` of an attempt). */
  events?: TaskRecord[];
  /**
   * Kept in the leader's memory and published, not written to the Store: the record stays at the
   * last stored step. For ACCEPTED and PROGRESS, whose stored AWARDED tells a new leader all it
   * needs — it re-sends the award as the same attempt, and the agent that runs it says ACCEPTED
   * again. Saves a Store write on every task's path.
   */
  volatile?: boolean;
}

/** What retries need. */
export interface RetryPolicy {
  maxAttempts: number;
  baseBackoffMs: number;
  maxBackoffMs: number;
  backoffJitter: number;
  random: () => number;
}

const S = TaskState;

/** Whether the task waits for an agent: QUEUED, or OFFERED by an auction no one runs any more. */
export function isWaiting(r: TaskRecord): boolean {
  return r.state === S.TASK_STATE_QUEUED || r.state === S.TASK_STATE_OFFERED;
}

/** QUEUED → OFFERED: an auction starts. */
export function offer(r: TaskRecord, nowMs: number): Step | undefined {
  return r.state === S.TASK_STATE_QUEUED
    ? { next: change(r, { state: S.TASK_STATE_OFFERED }, nowMs) }
    : undefined;
}

/** OFFERED → QUEUED: nobody could take it; it waits again. */
export function unoffer(r: TaskRecord, nowMs: number): Step | undefined {
  return r.state === S.TASK_STATE_OFFERED
    ? { next: change(r, { state: S.TASK_STATE_QUEUED }, nowMs) }
    : undefined;
}

/** QUEUED / OFFERED → AWARDED to `agentId`: a new attempt. */
export function award(r: TaskRecord, agentId: string, nowMs: number): Step | undefined {
  if (!isWaiting(r)) return undefined;
  const patch = {
    state: S.TASK_STATE_AWARDED,
    assignee: agentId,
    attempts: r.attempts + 1,
    reason: "",
    error: undefined,
    notBeforeMs: 0,
  };
  return { next: change(r, patch, nowMs) };
}

/** The award of `attempt` was accepted (the answer to the award request). */
export function accept(r: TaskRecord, attempt: number, nowMs: number): Step | undefined {
  if (r.state !== S.TASK_STATE_AWARDED || r.attempts !== attempt) return undefined;
  return { next: change(r, { state: S.TASK_STATE_ACCEPTED }, nowMs), volatile: true };
}

/**
 * The award of `attempt` was refused, or its answer was lost (`lost`: no answer in time): the
 * attempt fails ({@link failAttempt}). A lost answer counts only while the attempt is still
 * AWARDED: a report of that attempt past AWARDED (ACCEPTED, PROGRESS) says the agent took it — the
 * report and the answer travel apart and the report may come first — and failing the attempt would
 * give the task to another agent while this one runs it. A refusal is the agent's own word on the
 * award and fails the attempt whatever came before it.
 */
export function awardFailed(
  r: TaskRecord,
  attempt: number,
  why: { reason: string; error?: ErrorInfo | undefined; lost: boolean },
  nowMs: number,
  policy: RetryPolicy,
): Step | undefined {
  if (why.lost && r.state !== S.TASK_STATE_AWARDED) return undefined;
  return failAttempt(r, attempt, why, nowMs, policy);
}

/**
 * The current attempt failed: a FAILED event, then QUEUED with a backoff, or DEAD_LETTERED when the
 * task is out of attempts. Applies only while `attempt` is the current, unfinished attempt.
 */
export function failAttempt(
  r: TaskRecord,
  attempt: number,
  why: { reason: string; error?: ErrorInfo | undefined },
  nowMs: number,
  policy: RetryPolicy,
): Step | undefined {
  if (!HOLDING_STATES.has(r.state) || r.attempts !== attempt) return undefined;
  const failed = change(r, { state: S.TASK_STATE_FAILED, reason: why.reason, error: why.error }, nowMs);
  const max = r.task.maxAttempts || policy.maxAttempts;
  if (r.attempts >= max) {
    const reason = `${why.reason}; out of attempts (${r.attempts} of ${max})`;
    return { next: change(failed, { state: S.TASK_STATE_DEAD_LETTERED, reason }, nowMs), events: [failed] };
  }
  const notBeforeMs = nowMs + backoffMs(r.attempts, policy);
  const next = change(failed, { state: S.TASK_STATE_QUEUED, assignee: "", notBeforeMs }, nowMs);
  return { next, events: [failed] };
}

/**
 * Wait before retrying after failed attempt `attempt` (from 1), in ms:
 * `min(maxBackoffMs, baseBackoffMs · 2^(attempt − 1))`, plus up to `backoffJitter` of that at random.
 */
export function backoffMs(attempt: number, p: RetryPolicy): number {
  const base = Math.min(p.maxBackoffMs, p.baseBackoffMs * 2 ** Math.max(0, Math.min(attempt - 1, 52)));
  return Math.round(base * (1 + p.backoffJitter * p.random()));
}

/**
 * An agent's report on its attempt (see `Dispatcher` for the rules). A report past ACCEPTED on an
 * attempt still AWARDED here (its answer to the award has not been recorded yet: the two travel
 * apart, and either may come first) says the agent took it: the step then carries that ACCEPTED as
 * an event first, so a task's events are the same whichever arrives first.
 */
export function report(r: TaskRecord, rep: TaskResult, nowMs: number, policy: RetryPolicy): Step | undefined {
  if (!HOLDING_STATES.has(r.state) || rep.attempt !== r.attempts) return undefined;
  if (rep.agentId !== r.assignee) return undefined;
  if (r.state === S.TASK_STATE_AWARDED && rep.state !== S.TASK_STATE_ACCEPTED) {
    const accepted = accept(r, rep.attempt, nowMs)?.next;
    const step = accepted && beyondAccepted(accepted, rep, nowMs, policy);
    return step && { ...step, events: [accepted, ...(step.events ?? [])] };
  }
  return beyondAccepted(r, rep, nowMs, policy);
}

function beyondAccepted(
  r: TaskRecord,
  rep: TaskResult,
  nowMs: number,
  policy: RetryPolicy,
): Step | undefined {
  switch (rep.state) {
    case S.TASK_STATE_ACCEPTED:
      return accept(r, rep.attempt, nowMs);
    case S.TASK_STATE_PROGRESS:
      return r.state === S.TASK_STATE_PROGRESS
        ? undefined
        : { next: change(r, { state: S.TASK_STATE_PROGRESS }, nowMs), volatile: true };
    case S.TASK_STATE_SUCCEEDED: {
      const patch = { state: S.TASK_STATE_SUCCEEDED, result: rep.result, reason: "", error: undefined };
      return { next: change(r, patch, nowMs) };
    }
    case S.TASK_STATE_FAILED: {
      const error = errorInfo(rep.error);
      const code = error?.code ? `: ${error.code}` : "";
      const reason = `attempt ${r.attempts} failed on ${r.assignee}${code}`;
      return failAttempt(r, rep.attempt, { reason, error }, nowMs, policy);
    }
    default:
      return undefined;
  }
}

/** Not finished by its deadline → EXPIRED. */
export function expire(r: TaskRecord, nowMs: number): Step | undefined {
  if (isTerminal(r.state)) return undefined;
  const reason = `deadline passed while ${taskStateName(r.state)}`;
  return { next: change(r, { state: S.TASK_STATE_EXPIRED, reason }, nowMs) };
}

/** Cancelled on request → CANCELLED. */
export function cancel(r: TaskRecord, reason: string, nowMs: number): Step | undefined {
  if (isTerminal(r.state)) return undefined;
  return { next: change(r, { state: S.TASK_STATE_CANCELLED, reason: reason || "cancelled" }, nowMs) };
}

/** A task that cannot be dispatched (malformed) → DEAD_LETTERED at once. */
export function reject(r: TaskRecord, reason: string, nowMs: number): Step {
  return { next: change(r, { state: S.TASK_STATE_DEAD_LETTERED, reason }, nowMs) };
}

/** The current attempt's agent, if the task holds one of its credits. */
export function holder(r: TaskRecord): string | undefined {
  return HOLDING_STATES.has(r.state) && r.assignee ? r.assignee : undefined;
}
