import { TokenFence } from "@swarmlink/core";
import {
  isSwarmError,
  mqttTopics,
  type PayloadInit,
  subjects,
  TaskState,
  type TimerHandle,
} from "@swarmlink/protocol";
import type { GatewayContext } from "./context.js";
import type { DeviceSession } from "./device.js";
import { envelope, requestUntilAnswered, tryUnwrap } from "./wire.js";

type Result = PayloadInit<"swarmlink.v1.TaskResult">;
interface Pending {
  attempt: number;
  token: number;
  respond: (d: Uint8Array) => boolean;
  timer: TimerHandle;
}

/** Most (task, attempt) pairs remembered for de-duplication; the oldest are forgotten first. */
const MAX_REMEMBERED_AWARDS = 1024;

/**
 * Awards for one device (wire contract item 5). The gateway checks the fencing token (a
 * `TokenFence`, group "coordinator") and repeats, forwards the award to `swarm/{id}/tasks/award`
 * and answers the Bus request when the device publishes `status {"state":"accepted"}` (or
 * "rejected"), within `awardAcceptMs`; else REJECTED `E_TIMEOUT`. A QoS 1 PUBACK alone is not
 * taken as acceptance: it says the bytes arrived, not that the robot can do the task.
 */
export class AwardDesk {
  /** Tasks accepted and not yet finished. */
  running = 0;
  #ctx: GatewayContext;
  #dev: DeviceSession;
  #fence = new TokenFence();
  #pending = new Map<string, Pending>();
  #seen = new Map<string, number>(); // "taskId#attempt" → token
  #attemptOf = new Map<string, { attempt: number; token: number }>();
  /** Status reports taken (PUBACKed) and not yet acknowledged by the leader: the bounded outbox. */
  #reports = 0;
  #slotWaiters: Array<(taken: boolean) => void> = [];
  #closed = false;
  /** Until when PUBACKed reports are still retried after close (the device left, the gateway did not). */
  #reportsUntil = Number.POSITIVE_INFINITY;

  constructor(ctx: GatewayContext, dev: DeviceSession) {
    this.#ctx = ctx;
    this.#dev = dev;
  }

  onAward(data: Uint8Array, respond: (d: Uint8Array) => boolean): void {
    const award = tryUnwrap(data, "swarmlink.v1.Award");
    if (!award || this.#closed) return;
    const { taskId, attempt } = award;
    const token = Number(award.fencingToken);
    const answer = (state: TaskState, code?: string) =>
      respond(
        this.#result({
          taskId,
          attempt,
          state,
          fencingToken: token,
          error: code ? { code, message: code, context: {} } : undefined,
        }),
      );
    try {
      this.#fence.check("coordinator", token);
    } catch (err) {
      if (!isSwarmError(err, "E_FENCED")) throw err;
      answer(TaskState.TASK_STATE_REJECTED, "E_FENCED");
      return;
    }
    if (this.#seen.has(`${taskId}#${attempt}`)) {
      answer(TaskState.TASK_STATE_ACCEPTED); // the same attempt again (a new leader): never run twice
      return;
    }
    const before = this.#pending.get(taskId);
    if (before) this.#ctx.o.clock.clearTimeout(before.timer);
    const timer = this.#ctx.o.clock.setTimeout(() => {
      if (this.#pending.get(taskId)?.timer !== timer) return;
      this.#pending.delete(taskId);
      answer(TaskState.TASK_STATE_REJECTED, "E_TIMEOUT");
    }, this.#ctx.o.awardAcceptMs);
    this.#pending.set(taskId, { attempt, token, respond, timer });
    this.#attemptOf.set(taskId, { attempt, token });
    this.#dev.send(mqttTopics.taskAward(this.#dev.agentId), this.#dev.codec.award(award));
  }

  /**
   * A status the device published (`state` already canonical): settles a pending award, then
   * reports it on `subjects.taskStatus` until acknowledged (ACCEPTED too, in case the award reply
   * is lost), in the background. Resolves once the report is in the outbox: at most
   * `maxPendingReports` wait for the leader, and while it is full the caller holds the PUBACK
   * (the gateway owns a report once it is PUBACKed [MQTT-4.3.2-2], so none is dropped).
   */
  async onStatus(status: Result & { taskId: string; state: TaskState }): Promise<void> {
    const known = this.#attemptOf.get(status.taskId);
    const r: Result = {
      ...status,
      attempt: status.attempt || known?.attempt || 0,
      fencingToken: known?.token,
    };
    const pending = this.#pending.get(status.taskId);
    if (pending && (r.state === TaskState.TASK_STATE_ACCEPTED || r.state === TaskState.TASK_STATE_REJECTED)) {
      this.#pending.delete(status.taskId);
      this.#ctx.o.clock.clearTimeout(pending.timer);
      if (r.state === TaskState.TASK_STATE_ACCEPTED) this.#remember(status.taskId, pending);
      pending.respond(this.#result(r));
    }
    if (r.state === TaskState.TASK_STATE_REJECTED) return;
    if (r.state === TaskState.TASK_STATE_SUCCEEDED || r.state === TaskState.TASK_STATE_FAILED) {
      if (this.running > 0) this.running--;
      this.#attemptOf.delete(status.taskId);
    }
    if (!(await this.#slot())) return;
    void requestUntilAnswered(this.#ctx.o.bus, subjects.taskStatus(status.taskId), this.#result(r), {
      timeoutMs: this.#ctx.o.busRequestTimeoutMs,
      retryMs: this.#ctx.o.statusRetryMs,
      clock: this.#ctx.o.clock,
      closed: () => this.#ctx.o.clock.now() >= this.#reportsUntil,
      onAnswered: (ms) => this.#ctx.lag?.observe(ms),
    }).then((answered) => {
      if (!answered) {
        this.#ctx.stats.refuse("report-dropped");
        this.#ctx.o.log.warn({ taskId: status.taskId }, "status report dropped: closed");
      }
      const next = this.#slotWaiters.shift();
      if (next)
        next(true); // the slot passes to the next report as it is
      else this.#reports--;
    });
  }

  /** Status reports waiting for the leader's acknowledgement. */
  get pendingReports(): number {
    return this.#reports;
  }

  /** Takes a slot in the outbox: true when taken (maybe after a wait), false when the desk closed first. */
  #slot(): Promise<boolean> {
    if (this.#closed) return Promise.resolve(false);
    if (this.#slotWaiters.length === 0 && this.#reports < this.#ctx.o.maxPendingReports) {
      this.#reports++;
      return Promise.resolve(true);
    }
    this.#ctx.stats.refuse("outbox-full");
    return new Promise((resolve) => this.#slotWaiters.push(resolve));
  }

  /**
   * Stops taking awards and reports. Reports already PUBACKed are still retried for `keepReportsMs`
   * (the gateway owns them [MQTT-4.3.2-2]); 0 stops them too (the gateway closes).
   */
  close(keepReportsMs = 0): void {
    this.#reportsUntil = Math.min(this.#reportsUntil, this.#ctx.o.clock.now() + keepReportsMs);
    this.#closed = true;
    for (const w of this.#slotWaiters.splice(0)) w(false);
    for (const p of this.#pending.values()) this.#ctx.o.clock.clearTimeout(p.timer);
    this.#pending.clear();
  }

  #remember(taskId: string, p: Pending): void {
    this.running++;
    this.#seen.set(`${taskId}#${p.attempt}`, p.token);
    if (this.#seen.size > MAX_REMEMBERED_AWARDS) this.#seen.delete(this.#seen.keys().next().value as string);
  }

  #result(r: Result): Uint8Array {
    const agentId = this.#dev.agentId;
    return envelope("swarmlink.v1.TaskResult", { ...r, agentId }, agentId, this.#ctx.o.clock);
  }
}
