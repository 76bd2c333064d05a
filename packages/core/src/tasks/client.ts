import {
  abortError,
  type Clock,
  decodeEnvelope,
  type EnvelopeEncoder,
  encodePayload,
  envelopeEncoder,
  isSwarmError,
  SwarmError,
  subjects,
  systemClock,
  type TaskInfo,
  TaskState,
  type UlidFactory,
  unwrapAs,
  validateId,
} from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";
import { taskIdFactory, taskIdForKey } from "./ids.js";
import { buildTask, type TaskSpec } from "./spec.js";
import { isTerminal } from "./states.js";
import { envelopeBytes, readReply, TASKS_STREAM } from "./wire.js";

/** Default deadline of the client's requests (get, cancel, list) and of the submit publish, in ms. */
export const DEFAULT_TASK_CLIENT_TIMEOUT_MS = 5000;
/** Default `source` of the client's Envelopes. */
export const DEFAULT_TASK_CLIENT_SOURCE = "task-client";
/** Events a `watch` holds while its reader is busy; past it the oldest go (overflow: drop-oldest). */
export const DEFAULT_WATCH_MAX_PENDING = 256;

/** Options of {@link TaskClient}. */
export interface TaskClientOptions {
  bus: Bus;
  /** Time of fresh ids and Envelopes. @default systemClock */
  clock?: Clock;
  /** `source` of every Envelope it sends (an id). @default "task-client" */
  source?: string;
  /** Deadline of each request and of the submit publish, in ms. @default 5000 */
  timeoutMs?: number;
}

/** Per-call options. */
export interface TaskCallOptions {
  signal?: AbortSignal;
  /** @default the client's `timeoutMs` */
  timeoutMs?: number;
}

/** What `submit` returns. */
export interface SubmitResult {
  /** The task id: a ULID, or derived from the idempotency key (`taskIdForKey`). */
  id: string;
  /**
   * The stream had already stored a submission with this id inside its duplicate window (120 s):
   * nothing new was stored. A later repeat reads `false` yet is still the same task: the dispatcher
   * never creates a task whose record exists.
   */
  duplicate: boolean;
}

/** Options of {@link TaskClient.list}. */
export interface TaskListOptions extends TaskCallOptions {
  /** Only tasks in this state (or one of these). */
  state?: TaskState | TaskState[];
  /** At most this many (the dispatcher caps it at 1000). @default the dispatcher's default, 100 */
  limit?: number;
}

/**
 * Submits tasks to the swarm and follows them: the client side of the dispatcher's wire contract.
 *
 * - `submit` publishes a `swarmlink.v1.Task` Envelope to the durable stream `SWARM_TASKS`
 *   (`subjects.taskSubmit()`) with `msgId` = task id. A publish the stream acknowledged is a
 *   submitted task: it survives the leader's failover and is dispatched once (see `Dispatcher`).
 * - `get`, `cancel` and `list` are requests answered by the leader's dispatcher (`subjects.taskGet`,
 *   `taskCancel`, `taskList`) with a `TaskInfo` / `TaskList` Envelope, or an `Error` Envelope, which
 *   they throw as a SwarmError (`E_NOT_FOUND`, ...). With no leader they fail with `E_NO_RESPONDERS`
 *   or `E_TIMEOUT`: retry.
 * - `watch` follows a task's events (`subjects.taskEvents(id)`).
 *
 * @example
 * ```ts
 * const tasks = new TaskClient({ bus });
 * const { id } = await tasks.submit({ kind: "pick", capabilities: ["lift"], idempotencyKey: "order-4711" });
 * for await (const info of tasks.watch(id, { signal })) console.log(lifecycleName(info.state));
 * ```
 */
export class TaskClient {
  #bus: Bus;
  #clock: Clock;
  #source: string;
  #timeoutMs: number;
  #newId: UlidFactory;
  /** Submissions' Envelopes: type and source checked and encoded once. */
  #taskEnvelope: EnvelopeEncoder;

  constructor(opts: TaskClientOptions) {
    if (typeof opts?.bus?.request !== "function") {
      throw new SwarmError("E_CONFIG", "bus must implement Bus", { field: "bus" });
    }
    this.#bus = opts.bus;
    this.#clock = opts.clock ?? systemClock;
    this.#source = validateConfigId("source", opts.source ?? DEFAULT_TASK_CLIENT_SOURCE);
    const t = opts.timeoutMs ?? DEFAULT_TASK_CLIENT_TIMEOUT_MS;
    if (!Number.isSafeInteger(t) || t < 1) {
      throw new SwarmError("E_CONFIG", "timeoutMs must be a whole number ≥ 1", { field: "timeoutMs" });
    }
    this.#timeoutMs = t;
    this.#newId = taskIdFactory(this.#clock);
    this.#taskEnvelope = envelopeEncoder("swarmlink.v1.Task", this.#source, { clock: this.#clock });
  }

  /**
   * Submits a task. With `idempotencyKey`, the id is `taskIdForKey(key)`: resubmitting with the key
   * (after a crash, a timeout, days later) names the same task, which runs once.
   *
   * @throws SwarmError `E_INVALID` for a malformed spec; from the stream `E_TIMEOUT`, `E_UNAVAILABLE`
   * (not submitted, or not known to be: retry — with an idempotency key that is always safe).
   */
  async submit(spec: TaskSpec, opts: TaskCallOptions = {}): Promise<SubmitResult> {
    const id = spec?.idempotencyKey !== undefined ? taskIdForKey(spec.idempotencyKey) : this.#newId();
    const task = buildTask(spec, id);
    const data = this.#taskEnvelope(encodePayload("swarmlink.v1.Task", task));
    const publishOpts = { msgId: id, timeout: opts.timeoutMs ?? this.#timeoutMs, signal: opts.signal };
    let ack: Awaited<ReturnType<Bus["streams"]["publish"]>>;
    try {
      ack = await this.#bus.streams.publish(subjects.taskSubmit(), data, publishOpts);
    } catch (err) {
      if (!isSwarmError(err, "E_NOT_FOUND")) throw err;
      // Nothing has set the stream up yet (no dispatcher ever ran): do it, once, and retry.
      await this.#bus.streams.ensure({ ...TASKS_STREAM, subjects: [...TASKS_STREAM.subjects] });
      ack = await this.#bus.streams.publish(subjects.taskSubmit(), data, publishOpts);
    }
    return { id, duplicate: ack.duplicate };
  }

  /** The dispatcher's record of a task. @throws SwarmError `E_NOT_FOUND` when it has none (yet). */
  async get(id: string, opts: TaskCallOptions = {}): Promise<TaskInfo> {
    const req = envelopeBytes("swarmlink.v1.TaskQuery", {}, this.#source, this.#clock);
    return this.#ask(subjects.taskGet(validateId("taskId", id)), req, "swarmlink.v1.TaskInfo", opts);
  }

  /**
   * Cancels a task: it becomes `CANCELLED` and its agent, if it runs it, is told. Cancelling a
   * finished task changes nothing and answers its record.
   *
   * @throws SwarmError `E_NOT_FOUND` when the dispatcher has no record (a task still in the stream
   * has none yet: retry).
   */
  async cancel(id: string, reason = "", opts: TaskCallOptions = {}): Promise<TaskInfo> {
    validateId("taskId", id);
    const req = envelopeBytes("swarmlink.v1.TaskCancel", { taskId: id, reason }, this.#source, this.#clock);
    return this.#ask(subjects.taskCancel(id), req, "swarmlink.v1.TaskInfo", opts);
  }

  /**
   * Tasks the dispatcher holds, newest first: every unfinished one, and the most recently finished
   * ones it remembers (the dispatcher's `recentLimit`).
   */
  async list(opts: TaskListOptions = {}): Promise<TaskInfo[]> {
    const states = opts.state === undefined ? [] : Array.isArray(opts.state) ? opts.state : [opts.state];
    const query = { states, limit: opts.limit ?? 0 };
    const req = envelopeBytes("swarmlink.v1.TaskQuery", query, this.#source, this.#clock);
    const list = await this.#ask(subjects.taskList(), req, "swarmlink.v1.TaskList", opts);
    return list.tasks as TaskInfo[];
  }

  /**
   * Follows a task: yields its current record (if the dispatcher answers), then every change, and
   * ends after a terminal state. Events are at-most-once (a change published while no one listened,
   * or during a failover, is missed); the final state is also in `get`. Throws `E_ABORTED` (or the
   * signal's reason) when `signal` fires.
   */
  async *watch(id: string, opts: { signal?: AbortSignal } = {}): AsyncGenerator<TaskInfo, void, undefined> {
    const { signal } = opts;
    validateId("taskId", id);
    if (signal?.aborted) throw abortError(signal);
    const sub = this.#bus.subscribe(subjects.taskEvents(id), {
      signal,
      maxPending: DEFAULT_WATCH_MAX_PENDING,
    });
    try {
      let last: TaskInfo | undefined;
      try {
        last = await this.get(id, { signal });
      } catch (err) {
        if (!isSwarmError(err, "E_NOT_FOUND", "E_NO_RESPONDERS", "E_TIMEOUT")) throw err;
      }
      if (last) {
        yield last;
        if (isTerminal(last.state)) return;
      }
      for await (const m of sub) {
        let info: TaskInfo;
        try {
          info = unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.TaskInfo");
        } catch {
          continue; // not ours to judge: a malformed event is skipped
        }
        if (last && isStale(info, last)) continue;
        last = info;
        yield info;
        if (isTerminal(info.state)) return;
      }
      if (signal?.aborted) throw abortError(signal);
    } finally {
      sub.unsubscribe();
    }
  }

  async #ask<K extends "swarmlink.v1.TaskInfo" | "swarmlink.v1.TaskList">(
    subject: string,
    data: Uint8Array,
    type: K,
    opts: TaskCallOptions,
  ) {
    const reply = await this.#bus.request(subject, data, {
      timeout: opts.timeoutMs ?? this.#timeoutMs,
      signal: opts.signal,
    });
    return readReply(reply.data, type);
  }
}

/**
 * An attempt's states in the one order they can follow each other: among events of one step (one
 * `updatedMs`, one attempt), one that comes earlier in it than the state already yielded is stale.
 * QUEUED and OFFERED, which can alternate, are not ranked.
 */
const S = TaskState;
const ATTEMPT_ORDER = new Map<TaskState, number>([
  [S.TASK_STATE_AWARDED, 1],
  [S.TASK_STATE_ACCEPTED, 2],
  [S.TASK_STATE_PROGRESS, 3],
  [S.TASK_STATE_FAILED, 4],
  [S.TASK_STATE_SUCCEEDED, 5],
]);

/** An event older than, or the same as, what the watcher already yielded. @internal */
export function isStale(info: TaskInfo, last: TaskInfo): boolean {
  if (info.updatedMs !== last.updatedMs) return info.updatedMs < last.updatedMs;
  if (info.attempts !== last.attempts) return info.attempts < last.attempts;
  if (info.state === last.state) return true;
  const a = ATTEMPT_ORDER.get(info.state);
  const b = ATTEMPT_ORDER.get(last.state);
  return a !== undefined && b !== undefined && a < b;
}

function validateConfigId(field: string, value: string): string {
  try {
    return validateId(field, value);
  } catch (err) {
    throw new SwarmError("E_CONFIG", `${field} must be a valid id`, { field }, { cause: err });
  }
}
