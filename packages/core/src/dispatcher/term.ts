import { setMaxListeners } from "node:events";
import { isSwarmError, SwarmError, subjects, TaskState, type TimerHandle } from "@swarmlink/protocol";
import { FencedStore } from "../election/mod.js";
import { isTerminal } from "../tasks/states.js";
import { DEAD_LETTER_STREAM, envelopeBytes, TASKS_STREAM } from "../tasks/wire.js";
import { Assigner } from "./assign.js";
import type { TermContext } from "./context.js";
import { Credits } from "./credits.js";
import { type TermEnvelopes, termEnvelopes } from "./envelopes.js";
import { Handlers } from "./handlers.js";
import { Intake } from "./intake.js";
import { holder, isWaiting, type RetryPolicy, type Step } from "./lifecycle.js";
import { loadRecords } from "./load.js";
import type { ParsedDispatcherOptions } from "./options.js";
import { encodeRecord, type TaskRecord } from "./record.js";
import type { StatsCollector } from "./stats.js";
import { TaskTable } from "./table.js";
import { Watchdog } from "./watchdog.js";

/**
 * One leadership term of the dispatcher: everything it does while it leads under one fencing token,
 * and nothing after. `start()` subscribes the request handlers (which wait for the load), loads every
 * task record, rewrites the unfinished ones under its token (so a deposed leader's late write to them
 * is refused), resumes them (see `Dispatcher`), then consumes submissions. `halt()` stops it at once.
 */
export class Term implements TermContext {
  readonly o: ParsedDispatcherOptions;
  readonly token: number;
  readonly fenced: FencedStore;
  readonly table: TaskTable;
  readonly credits = new Credits();
  readonly stats: StatsCollector;
  readonly policy: RetryPolicy;
  readonly envelopes: TermEnvelopes;
  #abort = new AbortController();
  #assigner: Assigner;
  #handlers: Handlers;
  #intake: Intake;
  #watchdog: Watchdog;
  #onLost: (err: unknown) => void;
  #ready = false;
  #openGate!: () => void;
  #sweep: TimerHandle | undefined;
  #offPresence: (() => void) | undefined;

  constructor(
    o: ParsedDispatcherOptions,
    token: number,
    stats: StatsCollector,
    onLost: (err: unknown) => void,
  ) {
    this.o = o;
    this.token = token;
    this.stats = stats;
    this.#onLost = onLost;
    this.policy = o;
    this.envelopes = termEnvelopes(o);
    const l = o.leadership;
    const signal = this.#abort.signal;
    // Every award and auction in flight listens to it: as many as the swarm has credits.
    setMaxListeners(0, signal);
    this.fenced = new FencedStore(o.store, {
      group: l.group,
      assertLeader: () => {
        const t = l.assertLeader();
        if (t !== token || signal.aborted) {
          throw new SwarmError("E_FENCED", "this dispatcher term is over", {
            group: l.group,
            token,
            current: t,
          });
        }
        return t;
      },
    });
    this.table = new TaskTable({
      fenced: this.fenced,
      token,
      credits: this.credits,
      recentLimit: o.recentLimit,
      finishedRecordTtlMs: o.finishedRecordTtlMs,
      beforeWrite: (step) => this.#beforeWrite(step),
      afterWrite: (prev, step, encoded) => this.#afterWrite(prev, step, encoded),
    });
    this.#assigner = new Assigner(this);
    const gate = new Promise<void>((resolve) => {
      this.#openGate = resolve;
    });
    this.#handlers = new Handlers(this, gate);
    this.#intake = new Intake(this, this.#assigner);
    this.#watchdog = new Watchdog(this, this.#assigner);
  }

  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /** Loaded and working. */
  get ready(): boolean {
    return this.#ready && !this.signal.aborted;
  }

  async start(): Promise<void> {
    const { o } = this;
    try {
      for (const config of [TASKS_STREAM, DEAD_LETTER_STREAM]) {
        await o.bus.streams
          .ensure({ ...config, subjects: [...config.subjects] })
          .catch((err) => o.log.warn({ err, stream: config.name }, "stream not ensured; using it as it is"));
      }
      this.#handlers.start();
      await loadRecords(this);
      this.#offPresence = o.directory.onPresence((e) => this.#watchdog.onPresence(e));
      this.#watchdog.resume();
      this.#ready = !this.signal.aborted;
      this.#openGate();
      this.#intake.start();
      this.#armSweep();
      this.pump();
      o.log.info({ token: this.token, tasks: this.table.size }, "dispatcher took over");
    } catch (err) {
      this.halt();
      this.#openGate();
      throw err;
    }
  }

  /** Stops everything at once (synchronously); `stop()` also waits for the intake to settle. */
  halt(): void {
    if (this.signal.aborted) return;
    this.#abort.abort(new SwarmError("E_FENCED", "the dispatcher's term ended", { token: this.token }));
    this.#handlers.stop();
    this.#watchdog.stop();
    if (this.#sweep !== undefined) this.o.clock.clearTimeout(this.#sweep);
    this.#offPresence?.();
    this.o.log.info({ token: this.token }, "dispatcher term ended");
  }

  async stop(): Promise<void> {
    this.halt();
    await this.#intake.stop();
  }

  pump(): void {
    this.#assigner.pump();
  }

  arm(id: string): void {
    this.#watchdog.arm(id);
  }

  cancelOn(agentId: string, taskId: string, reason: string): void {
    const { o } = this;
    try {
      const data = envelopeBytes("swarmlink.v1.TaskCancel", { taskId, reason }, o.coordinatorId, o.clock);
      o.bus.publish(subjects.agentTaskCancel(agentId), data);
    } catch (err) {
      o.log.warn({ err, taskId, agentId }, "cancel not sent to the agent");
    }
  }

  failed(err: unknown, what: string, fields: object = {}): void {
    if (isSwarmError(err, "E_FENCED")) {
      if (this.signal.aborted) return;
      this.stats.fenced++;
      this.o.log.warn({ ...fields, err, token: this.token }, "write refused by fencing: leadership lost");
      this.halt();
      this.#onLost(err);
      return;
    }
    if (!this.signal.aborted) this.o.log.warn({ ...fields, err }, what);
  }

  /** A dead letter goes to SWARM_DLQ before its record says so: at-least-once, de-duplicated by id. */
  #beforeWrite(step: Step): Promise<void> | undefined {
    const { o } = this;
    const rec = step.next;
    if (rec.state !== TaskState.TASK_STATE_DEAD_LETTERED) return undefined;
    return (async () => {
      const data = envelopeBytes("swarmlink.v1.TaskInfo", rec, o.coordinatorId, o.clock);
      await o.bus.streams.publish(subjects.deadLetter("tasks"), data, { msgId: `dlq-${rec.task.id}` });
    })();
  }

  #afterWrite(prev: TaskRecord | undefined, step: Step, encoded: Uint8Array | undefined): void {
    const { next } = step;
    const id = next.task.id;
    for (const e of step.events ?? []) this.#publish(e);
    this.#publish(next, encoded);
    const failedAttempt = step.events?.find((e) => e.state === TaskState.TASK_STATE_FAILED);
    if (failedAttempt?.assignee) this.#assigner.avoid(id, failedAttempt.assignee);
    if (failedAttempt && next.state === TaskState.TASK_STATE_QUEUED) this.stats.retries++;
    const was = prev && holder(prev);
    if (isTerminal(next.state)) {
      this.stats.finish(next.state);
      this.#watchdog.forget(id);
      this.#assigner.forget(id);
      const stopped =
        next.state === TaskState.TASK_STATE_EXPIRED || next.state === TaskState.TASK_STATE_CANCELLED;
      if (was && stopped) this.cancelOn(was, id, next.reason);
      this.o.log.debug({ taskId: id, state: next.state, reason: next.reason }, "task finished");
    }
    this.arm(id);
    if (isWaiting(next) || (was && !holder(next))) this.pump();
  }

  /** Publishes the record's event; `encoded` is the record's TaskInfo bytes when they are at hand. */
  #publish(rec: TaskRecord, encoded?: Uint8Array): void {
    const { o } = this;
    try {
      const info = encoded ?? encodeRecord(rec);
      o.bus.publish(subjects.taskEvents(rec.task.id), this.envelopes.taskInfo(info));
    } catch (err) {
      o.log.warn({ err, taskId: rec.task.id }, "task event not published");
    }
  }

  #armSweep(): void {
    const { o } = this;
    if (o.sweepIntervalMs === 0 || this.signal.aborted) return;
    this.#sweep = o.clock.setTimeout(() => {
      this.#sweep = undefined;
      this.pump();
      this.#armSweep();
    }, o.sweepIntervalMs);
  }
}
