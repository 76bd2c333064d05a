import { TaskState } from "@swarmlink/protocol";
import { isTerminal } from "../tasks/states.js";
import type { PresenceEvent } from "../types.js";
import type { Assigner } from "./assign.js";
import type { TermContext } from "./context.js";
import { expire, failAttempt, holder, isWaiting } from "./lifecycle.js";
import type { TaskRecord } from "./record.js";
import { TaskTimers } from "./timers.js";

/**
 * What a term waits for, per task, on one timer each: the deadline (→ EXPIRED), the end of a backoff
 * (→ allocate), an award nobody answered within `acceptTimeoutMs` (→ the attempt failed), and an
 * assignee the directory did not know at takeover (→ checked again after `acceptTimeoutMs`). It
 * also ends the attempts of an agent that goes offline, and at takeover re-sends every award the
 * previous terms left unanswered (`Assigner.resend`).
 */
export class Watchdog {
  #ctx: TermContext;
  #assigner: Assigner;
  #timers: TaskTimers;
  /** Running tasks whose agent the directory did not know at takeover: checked again at the instant given. */
  #unknownAssignee = new Map<string, number>();

  constructor(ctx: TermContext, assigner: Assigner) {
    this.#ctx = ctx;
    this.#assigner = assigner;
    this.#timers = new TaskTimers(ctx.o.clock, (id) => this.#onDue(id));
  }

  /** Sets the task's timer from its record as it is now. */
  arm(id: string): void {
    const r = this.#ctx.table.get(id);
    this.#timers.set(id, r && this.#dueOf(r));
  }

  /**
   * After the load: tasks held by an offline agent fail their attempt; unanswered awards are sent
   * again (the answer went to the leader that made them, if it went anywhere); running tasks are
   * kept while their agent is.
   */
  resume(): void {
    const { o, table } = this.#ctx;
    const now = o.clock.now();
    for (const r of table.active()) {
      const id = r.task.id;
      const agent = holder(r);
      const status = agent && o.directory.get(agent)?.status;
      if (agent && status === "offline") this.fail(id, r.attempts, `assignee ${agent} is offline`, false);
      else if (r.state === TaskState.TASK_STATE_AWARDED) this.#assigner.resend(id);
      // The directory may still be filling: give an agent it does not know yet a grace period.
      else if (agent && status === undefined) this.#unknownAssignee.set(id, now + o.acceptTimeoutMs);
      this.arm(id);
    }
  }

  onPresence(e: PresenceEvent): void {
    if (this.#ctx.signal.aborted) return;
    if (e.status === "online") {
      this.#ctx.pump();
      return;
    }
    if (e.status !== "offline") return;
    for (const r of this.#ctx.table.active()) {
      if (holder(r) === e.agentId) {
        this.fail(r.task.id, r.attempts, `assignee ${e.agentId} went offline (${e.reason})`, false);
      }
    }
  }

  /** Forgets a finished task. */
  forget(id: string): void {
    this.#unknownAssignee.delete(id);
  }

  stop(): void {
    this.#timers.stop();
  }

  /** Ends attempt `attempt` as failed (if it is still the current one), optionally telling the agent. */
  fail(id: string, attempt: number, reason: string, tellAgent: boolean): void {
    const { table, o, policy } = this.#ctx;
    const agent = table.get(id)?.assignee;
    table
      .apply(id, (cur) => failAttempt(cur, attempt, { reason }, o.clock.now(), policy))
      .then((r) => {
        if (r && tellAgent && agent) this.#ctx.cancelOn(agent, id, reason);
      })
      .catch((err) => this.#ctx.failed(err, "attempt not ended", { taskId: id }));
  }

  #dueOf(r: TaskRecord): number | undefined {
    if (isTerminal(r.state)) return undefined;
    const { o } = this.#ctx;
    const id = r.task.id;
    let due = r.task.deadlineMs > 0 ? r.task.deadlineMs : Number.POSITIVE_INFINITY;
    if (isWaiting(r) && r.notBeforeMs > o.clock.now()) due = Math.min(due, r.notBeforeMs);
    if (r.state === TaskState.TASK_STATE_AWARDED && !this.#assigner.busy(id)) {
      due = Math.min(due, this.#acceptDue(r));
    }
    const grace = this.#unknownAssignee.get(id);
    if (grace !== undefined) due = Math.min(due, grace);
    return Number.isFinite(due) ? due : undefined;
  }

  #acceptDue(r: TaskRecord): number {
    return r.updatedMs + this.#ctx.o.acceptTimeoutMs;
  }

  #onDue(id: string): void {
    const { table, o, signal } = this.#ctx;
    const r = table.get(id);
    if (!r || signal.aborted) return;
    const now = o.clock.now();
    if (r.task.deadlineMs > 0 && now >= r.task.deadlineMs) {
      table.apply(id, (cur) => expire(cur, o.clock.now())).catch((err) => this.#ctx.failed(err, "expiry"));
      return;
    }
    const awarded = r.state === TaskState.TASK_STATE_AWARDED && !this.#assigner.busy(id);
    if (awarded && now >= this.#acceptDue(r)) {
      this.fail(id, r.attempts, `award not accepted within ${o.acceptTimeoutMs} ms`, true);
      return;
    }
    const grace = this.#unknownAssignee.get(id);
    if (grace !== undefined && now >= grace) {
      this.#unknownAssignee.delete(id);
      const agent = holder(r);
      const status = agent && o.directory.get(agent)?.status;
      if (agent && (status === undefined || status === "offline")) {
        this.fail(id, r.attempts, `assignee ${agent} is not in the directory`, false);
        return;
      }
    }
    if (isWaiting(r)) this.#ctx.pump();
    this.arm(id);
  }
}
