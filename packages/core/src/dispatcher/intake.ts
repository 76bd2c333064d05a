import { decodeEnvelope, isSwarmError, isValidId, type Task, unwrapAs } from "@swarmlink/protocol";
import type { MessageStream, StreamMsg } from "@swarmlink/transport";
import { taskProblem } from "../tasks/spec.js";
import { TASKS_STREAM } from "../tasks/wire.js";
import type { Assigner } from "./assign.js";
import type { TermContext } from "./context.js";
import { ownTaskBytes, rememberTaskBytes } from "./encoding.js";
import { award, reject } from "./lifecycle.js";
import { DEFAULT_INTAKE_MAX_IN_FLIGHT, INTAKE_CONSUMER } from "./options.js";
import { newRecord, type TaskRecord } from "./record.js";

/** Submissions pulled at once, buffered ahead of the intake loop (the consumer refills at 75%). */
const INTAKE_BUFFER = 128;
/** Wait before consuming again after the stream failed, in ms; and before a submission whose record could not be written is redelivered. */
const INTAKE_RETRY_MS = 1000;

/**
 * Takes submissions from `SWARM_TASKS` (durable consumer `dispatcher`), one at a time, for one term:
 * writes the task's record (QUEUED, or DEAD_LETTERED with the reason if the task is malformed) and
 * only then acks. A crash between the two redelivers the submission; the record, which exists by
 * then, makes the repeat a no-op ("exists" → ack). Submissions that are not a Task Envelope at all
 * are terminated and counted (`malformed`).
 */
export class Intake {
  #ctx: TermContext;
  #assigner: Assigner;
  #stream: MessageStream | undefined;
  #loop: Promise<void> | undefined;

  constructor(ctx: TermContext, assigner: Assigner) {
    this.#ctx = ctx;
    this.#assigner = assigner;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  /** Stops consuming; resolves once every submission taken is settled. */
  async stop(): Promise<void> {
    this.#stream?.stop();
    await this.#loop;
  }

  async #run(): Promise<void> {
    // One gate for every pass: the takes of a pass whose stream failed still count in the next.
    const taking = new Gate(DEFAULT_INTAKE_MAX_IN_FLIGHT);
    try {
      await this.#consume(taking);
    } finally {
      await taking.drained();
    }
  }

  async #consume(taking: Gate): Promise<void> {
    const { o, signal } = this.#ctx;
    while (!signal.aborted) {
      try {
        const consumer = await o.bus.streams.consumer(TASKS_STREAM.name, {
          name: INTAKE_CONSUMER,
          ackWaitMs: o.intakeAckWaitMs,
          maxInFlight: DEFAULT_INTAKE_MAX_IN_FLIGHT,
        });
        if (signal.aborted) return;
        this.#stream = consumer.consume({ maxMessages: INTAKE_BUFFER, signal });
        // Up to the consumer's max in flight at once: each take is a Store round trip or two, and
        // one at a time would cap intake at a few hundred tasks/s on a networked Store. Order does
        // not matter here; allocation orders tasks by urgency.
        for await (const m of this.#stream) {
          const full = taking.enter();
          if (full) await full;
          if (signal.aborted) {
            taking.leave();
            m.nak();
            break;
          }
          void this.#take(m)
            .catch((err: unknown) => this.#ctx.failed(err, "submission not taken in", { seq: m.seq }))
            .finally(() => taking.leave());
        }
        if (signal.aborted) return;
      } catch (err) {
        if (signal.aborted) return;
        o.log.warn({ err }, "task intake failed; consuming again shortly");
      }
      if (!signal.aborted) await this.#sleep(INTAKE_RETRY_MS);
    }
  }

  async #take(m: StreamMsg): Promise<void> {
    const { o, table, stats, token, signal } = this.#ctx;
    let task: Task;
    try {
      const env = decodeEnvelope(m.data);
      task = unwrapAs(env, "swarmlink.v1.Task");
      if (!isValidId(task.id)) throw new Error("task id is not a valid id");
      rememberTaskBytes(task, ownTaskBytes(env.payload));
    } catch (err) {
      stats.malformed++;
      o.log.warn({ err, seq: m.seq }, "submission is not a task; dropped");
      m.term("not a swarmlink.v1.Task Envelope with a valid id");
      return;
    }
    const now = o.clock.now();
    const problem = taskProblem(task);
    const fresh = newRecord(task, token, now);
    const rec = problem ? reject(fresh, `invalid task: ${problem.field} ${problem.reason}`, now).next : fresh;
    // While nothing waits, a task is stored already awarded: one Store write instead of two.
    const agentId = problem ? undefined : this.#assigner.claim(fresh);
    const awarded = agentId ? award(fresh, agentId, now)?.next : undefined;
    let stored: TaskRecord | undefined;
    try {
      const r = awarded ? await table.create(awarded, [fresh]) : await table.create(rec);
      if (r === "exists") stats.duplicates++;
      else {
        stats.submitted++;
        stored = table.get(task.id);
      }
      m.ack();
    } catch (err) {
      m.nak(signal.aborted ? 0 : INTAKE_RETRY_MS);
      if (!signal.aborted) this.#ctx.failed(err, "task record not written", { taskId: task.id });
      if (isSwarmError(err, "E_FENCED")) this.#stream?.stop();
    } finally {
      if (agentId) this.#assigner.claimed(task.id, stored);
    }
  }

  #sleep(ms: number): Promise<void> {
    const { o, signal } = this.#ctx;
    return new Promise((resolve) => {
      const done = () => {
        o.clock.clearTimeout(t);
        signal.removeEventListener("abort", done);
        resolve();
      };
      const t = o.clock.setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

/**
 * Counts takes in flight and holds the loop while `limit` are: O(1) per take, where racing the set
 * of takes in flight would attach a reaction to each of them for every submission.
 */
class Gate {
  #limit: number;
  #inFlight = 0;
  #wake: (() => void) | undefined;

  constructor(limit: number) {
    this.#limit = limit;
  }

  /** Counts a take in; while `limit` are in flight, returns a promise of the moment one leaves. */
  enter(): Promise<void> | undefined {
    if (this.#inFlight < this.#limit) {
      this.#inFlight++;
      return undefined;
    }
    return this.#wait().then(() => this.enter());
  }

  leave(): void {
    this.#inFlight--;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Resolves once no take is in flight. */
  async drained(): Promise<void> {
    while (this.#inFlight > 0) await this.#wait();
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => {
      this.#wake = resolve;
    });
  }
}
