import {
  decodeEnvelope,
  isSwarmError,
  isValidId,
  kvKeys,
  parseSubject,
  SwarmError,
  subjectPatterns,
  subjects,
  type swarmlink,
  type TaskResult,
  type TaskState,
  unwrapAs,
} from "@swarmlink/protocol";
import type { Msg, Subscription } from "@swarmlink/transport";
import { MAX_REPORTS_PER_BATCH } from "../tasks/batches.js";
import { isTerminal } from "../tasks/states.js";
import { envelopeBytes, errorBytes, errorPayloadOf } from "../tasks/wire.js";
import type { TermContext } from "./context.js";
import { cancel, report } from "./lifecycle.js";
import { decodeRecord, encodeRecord, type TaskRecord } from "./record.js";

const EMPTY = new Uint8Array(0);

/** Default number of tasks in a list answer. */
export const DEFAULT_LIST_LIMIT = 100;
/** Most tasks in a list answer. */
export const MAX_LIST_LIMIT = 1000;

/** Serves one request; resolves with the reply's bytes. */
type Handler = (msg: Msg) => Promise<Uint8Array>;

type ReportAck = swarmlink.v1.TaskReportAck.$Properties;

/**
 * The leader's request handlers, subscribed while it leads: status reports (`taskStatus`, one per
 * request, and `taskReports`, several in a TaskResultBatch), cancel, get and list. Each answers
 * with an Envelope (`TaskInfo`, `TaskReportAcks`, `TaskList`) or an `Error` Envelope. At
 * most `maxConcurrentRequests` run at once; past that a request is refused with E_OVERFLOW (its
 * sender retries). Requests wait until the term has loaded its records.
 */
export class Handlers {
  #ctx: TermContext;
  #ready: Promise<void>;
  #subs: Subscription[] = [];
  #running = 0;

  constructor(ctx: TermContext, ready: Promise<void>) {
    this.#ctx = ctx;
    this.#ready = ready;
  }

  start(): void {
    const { bus } = this.#ctx.o;
    const on = (pattern: string, handler: Handler) =>
      this.#subs.push(bus.subscribe(pattern, { callback: (_e, msg) => void this.#serve(msg, handler) }));
    on(subjectPatterns.taskStatus, async (m) => this.#info(await this.#status(m)));
    on(subjects.taskReports(), async (m) => this.#reports(m));
    on(subjectPatterns.taskCancels, async (m) => this.#info(await this.#cancel(m)));
    on(subjectPatterns.taskGets, async (m) => this.#info(await this.#lookup(taskIdOf(m, "taskGet"))));
    on(subjects.taskList(), async (m) => this.#list(m));
  }

  stop(): void {
    for (const s of this.#subs) s.unsubscribe();
    this.#subs = [];
  }

  async #serve(msg: Msg, handler: Handler): Promise<void> {
    const { o, signal } = this.#ctx;
    if (this.#running >= o.maxConcurrentRequests) {
      const err = new SwarmError("E_OVERFLOW", "the dispatcher is busy: retry", { subject: msg.subject });
      msg.respond(errorBytes(err, o.coordinatorId, o.clock));
      return;
    }
    this.#running++;
    try {
      await this.#ready;
      if (signal.aborted) return; // no answer: the sender retries and finds the next leader
      const data = await handler(msg);
      if (signal.aborted) return;
      msg.respond(data);
    } catch (err) {
      if (signal.aborted) return;
      this.#ctx.failed(err, "request failed", { subject: msg.subject });
      if (isSwarmError(err, "E_FENCED")) return;
      if (isSwarmError(err, "E_DECODE", "E_INVALID", "E_TOO_LARGE")) this.#ctx.stats.malformedRequests++;
      msg.respond(errorBytes(err, o.coordinatorId, o.clock));
    } finally {
      this.#running--;
    }
  }

  /** A report on an attempt: applied if it is the current attempt, acknowledged in any case. */
  async #status(msg: Msg): Promise<TaskRecord> {
    const id = taskIdOf(msg, "taskStatus");
    const rep = unwrapAs(decodeEnvelope(msg.data), "swarmlink.v1.TaskResult");
    if (rep.taskId && rep.taskId !== id) {
      throw new SwarmError("E_INVALID", "the report names another task than its subject", { taskId: id });
    }
    return this.#report(id, rep);
  }

  /** Reports of a TaskResultBatch, each applied as if it came alone; one ack each, in their order. */
  async #reports(msg: Msg): Promise<Uint8Array> {
    const { o } = this.#ctx;
    const { results } = unwrapAs(decodeEnvelope(msg.data), "swarmlink.v1.TaskResultBatch");
    // One request holds one of the concurrent-request slots: its reports are bounded like a batch.
    if (results.length > MAX_REPORTS_PER_BATCH) {
      throw new SwarmError("E_TOO_LARGE", `a report batch holds at most ${MAX_REPORTS_PER_BATCH} reports`, {
        reports: results.length,
      });
    }
    const acks = await Promise.all((results as TaskResult[]).map((r) => this.#ack(r)));
    return envelopeBytes("swarmlink.v1.TaskReportAcks", { acks }, o.coordinatorId, o.clock);
  }

  /** One report of a batch: the record after it (without the task's spec), or why it was refused. */
  async #ack(rep: TaskResult): Promise<ReportAck> {
    try {
      if (!isValidId(rep.taskId)) {
        throw new SwarmError("E_INVALID", "the report names no valid task id", { field: "taskId" });
      }
      const rec = await this.#report(rep.taskId, rep);
      // The spec and the result are the agent's own: the ack carries neither.
      return { taskId: rep.taskId, info: { ...rec, task: { id: rec.task.id }, result: EMPTY } };
    } catch (err) {
      if (isSwarmError(err, "E_FENCED")) throw err; // this term is over: no answer at all
      if (isSwarmError(err, "E_DECODE", "E_INVALID")) this.#ctx.stats.malformedRequests++;
      return { taskId: rep.taskId, error: errorPayloadOf(err) };
    }
  }

  /**
   * Applies a report if it is on the task's current attempt; resolves with the record either way.
   * A report must name its agent: only the assignee's reports count.
   */
  async #report(id: string, rep: TaskResult): Promise<TaskRecord> {
    if (!rep.agentId) {
      throw new SwarmError("E_INVALID", "the report names no agent", { field: "agentId", taskId: id });
    }
    const { table, o, policy } = this.#ctx;
    if (!table.get(id)) await this.#lookup(id); // takes over a record this term does not hold yet
    const applied = await table.apply(id, (r) => report(r, rep, o.clock.now(), policy));
    return applied ?? (await this.#lookup(id));
  }

  async #cancel(msg: Msg): Promise<TaskRecord> {
    const id = taskIdOf(msg, "taskCancel");
    const req = unwrapAs(decodeEnvelope(msg.data), "swarmlink.v1.TaskCancel");
    const { table, o } = this.#ctx;
    await this.#lookup(id);
    const done = await table.apply(id, (r) => cancel(r, req.reason, o.clock.now()));
    return done ?? (await this.#lookup(id));
  }

  #info(rec: TaskRecord): Uint8Array {
    return this.#ctx.envelopes.taskInfo(encodeRecord(rec));
  }

  /** Unfinished tasks and the finished ones remembered, newest first. */
  #list(msg: Msg): Uint8Array {
    const q =
      msg.data.length === 0 ? undefined : unwrapAs(decodeEnvelope(msg.data), "swarmlink.v1.TaskQuery");
    const states = new Set<TaskState>(q?.states ?? []);
    const limit = Math.min(q?.limit || DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT);
    const { table, o } = this.#ctx;
    const all = [...table.active(), ...table.recent()]
      .filter((r) => states.size === 0 || states.has(r.state))
      .sort((a, b) => b.createdMs - a.createdMs || (a.task.id < b.task.id ? 1 : -1));
    const list = { tasks: all.slice(0, limit), truncated: all.length > limit };
    return envelopeBytes("swarmlink.v1.TaskList", list, o.coordinatorId, o.clock);
  }

  /**
   * The task's record: from memory, else from the Store. An unfinished record this term did not know
   * (written by another term after this one loaded) is taken over, so a report on it is applied.
   */
  async #lookup(id: string): Promise<TaskRecord> {
    const { table, fenced } = this.#ctx;
    const known = table.get(id) ?? table.finished(id);
    if (known) return known;
    const e = await fenced.get(kvKeys.task(id));
    if (!e) throw new SwarmError("E_NOT_FOUND", "no such task", { taskId: id });
    const rec = decodeRecord(e.value);
    if (!isTerminal(rec.state) && !table.get(id)) {
      table.load(rec, e.revision);
      this.#ctx.arm(id);
    }
    return table.get(id) ?? rec;
  }
}

function taskIdOf(msg: Msg, kind: "taskStatus" | "taskCancel" | "taskGet"): string {
  const route = parseSubject(msg.subject);
  if (route.kind !== kind) throw new SwarmError("E_INVALID", "unexpected subject", { subject: msg.subject });
  return route.taskId;
}
