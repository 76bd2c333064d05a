import {
  type Award,
  SwarmError,
  type Task,
  type TaskInfo,
  TaskState,
  type TimerHandle,
} from "@swarmlink/protocol";
import { errorOf } from "../commands.js";
import { toJsonBytes } from "../json.js";
import { type ReportDeps, reportOnce, reportUntilAcked, superseded } from "./report.js";

/** What a task handler gets besides the task. */
export interface TaskContext {
  /** Aborts on cancel (`E_ABORTED`), at the task's deadline (`E_TIMEOUT`), when the attempt is lost to a newer coordinator (`E_FENCED`), and when the agent closes (`E_CLOSED`). The reason is a SwarmError. */
  signal: AbortSignal;
  /** Reports progress, a fraction in [0, 1]; sent at most one at a time, the newest wins. */
  progress(fraction: number): void;
  /** The award: attempt, fencing token, coordinator. */
  award: Award;
}

/** Runs one task: returns a JSON result (→ SUCCEEDED) or throws (→ FAILED with the error's code). */
export type TaskHandler = (task: Task, ctx: TaskContext) => unknown;

/**
 * One accepted attempt: runs the handler under an AbortSignal, reports ACCEPTED then PROGRESS on
 * the status subject, and the final SUCCEEDED / FAILED until a leader acknowledges it.
 */
export class RunningTask {
  readonly taskId: string;
  readonly attempt: number;
  token: number;
  readonly #d: ReportDeps;
  readonly #ac = new AbortController();
  readonly #giveUp: AbortSignal;
  #deadlineTimer: TimerHandle | undefined;
  #progressBusy = false;
  #progressNext: number | undefined;
  #lastProgress = 0;
  /** Settles when the handler has returned or thrown (its credit is free again). */
  readonly finished: Promise<void>;
  /** Settles when the final report is acknowledged (or given up). */
  readonly done: Promise<void>;
  #finish: () => void = () => {};

  constructor(d: ReportDeps, award: Award, handler: TaskHandler, giveUp: AbortSignal) {
    this.#d = d;
    this.#giveUp = giveUp;
    this.taskId = award.taskId;
    this.attempt = award.attempt;
    this.token = Number(award.fencingToken);
    const deadline = Number(award.deadlineMs ?? 0) || Number(award.task?.deadlineMs ?? 0);
    if (deadline > 0) {
      this.#deadlineTimer = d.clock.setTimeout(
        () => this.abort(new SwarmError("E_TIMEOUT", "the task's deadline passed", { taskId: this.taskId })),
        Math.max(0, deadline - d.clock.now()),
      );
    }
    void this.#check({ state: TaskState.TASK_STATE_ACCEPTED });
    this.finished = new Promise((r) => {
      this.#finish = r;
    });
    this.done = this.#run(award, handler);
  }

  get signal(): AbortSignal {
    return this.#ac.signal;
  }

  abort(reason: SwarmError): void {
    if (!this.#ac.signal.aborted) this.#ac.abort(reason);
  }

  /** A newer coordinator term began: ask it whether this attempt is still ours (abort if not). */
  recheck(): void {
    void this.#check({ state: TaskState.TASK_STATE_PROGRESS, progress: this.#lastProgress });
  }

  async #run(award: Award, handler: TaskHandler): Promise<void> {
    const ctx: TaskContext = { signal: this.#ac.signal, progress: (f) => this.#progress(f), award };
    let final: { state: TaskState; result?: Uint8Array; error?: ReturnType<typeof errorOf> };
    try {
      const value = await handler(award.task as Task, ctx);
      final = { state: TaskState.TASK_STATE_SUCCEEDED, result: toJsonBytes(value, "result") };
    } catch (err) {
      const reason = this.#ac.signal.aborted ? this.#ac.signal.reason : err;
      final = { state: TaskState.TASK_STATE_FAILED, error: errorOf(reason) };
    } finally {
      if (this.#deadlineTimer !== undefined) this.#d.clock.clearTimeout(this.#deadlineTimer);
      this.#finish();
    }
    await reportUntilAcked(this.#d, this.#result(final), this.#giveUp);
  }

  #progress(fraction: number): void {
    if (!Number.isFinite(fraction)) return;
    this.#lastProgress = Math.min(1, Math.max(0, fraction));
    if (this.#progressBusy) {
      this.#progressNext = this.#lastProgress;
      return;
    }
    this.#progressBusy = true;
    void this.#check({ state: TaskState.TASK_STATE_PROGRESS, progress: this.#lastProgress }).finally(() => {
      this.#progressBusy = false;
      const next = this.#progressNext;
      this.#progressNext = undefined;
      if (next !== undefined && !this.#ac.signal.aborted) this.#progress(next);
    });
  }

  /** Sends a non-final report once; an ack saying the attempt is no longer ours aborts the handler. */
  async #check(r: { state: TaskState; progress?: number }): Promise<void> {
    let info: TaskInfo;
    try {
      info = await reportOnce(this.#d, this.#result(r));
    } catch {
      return; // no leader right now: the final report is retried until acked
    }
    if (superseded(info, this.#d.agentId, this.attempt)) {
      const code = info.state === TaskState.TASK_STATE_CANCELLED ? "E_ABORTED" : "E_FENCED";
      this.abort(
        new SwarmError(code, "the attempt is no longer this agent's", {
          taskId: this.taskId,
          state: info.state,
        }),
      );
    }
  }

  #result(r: {
    state: TaskState;
    progress?: number;
    result?: Uint8Array;
    error?: ReturnType<typeof errorOf>;
  }) {
    return {
      taskId: this.taskId,
      agentId: this.#d.agentId,
      attempt: this.attempt,
      fencingToken: this.token,
      ...r,
    };
  }
}
