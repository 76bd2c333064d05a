import { answerAwardBatch, answerOffers, type ResultInit, TokenFence } from "@swarmlink/core";
import {
  type Award,
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  isSwarmError,
  SwarmError,
  subjects,
  type Task,
  TaskState,
  unwrapAs,
  validateId,
  wrap,
} from "@swarmlink/protocol";
import type { Subscription } from "@swarmlink/transport";
import { errorOf } from "../commands.js";
import type { CountMalformed } from "../frames.js";
import { RecentMap } from "../recent.js";
import type { ReportDeps } from "./report.js";
import { RunningTask, type TaskHandler } from "./running.js";

/** The fence group of task coordinators (the dispatcher's leader). */
export const COORDINATOR_FENCE_GROUP = "coordinator";

/** Prices a task for this agent: a finite cost ≥ 0 to bid, undefined to stay out. */
export type BidFn = (task: Task) => number | undefined;

interface AwardKey {
  taskId: string;
  attempt: number;
  token: number;
}

interface Registered {
  handler: TaskHandler;
  credits: number;
  running: number;
}

/**
 * The agent side of the dispatcher's contract (awards, cancels, offers, status reports): a
 * TokenFence on awards, the agent's credits, one run per (taskId, attempt).
 */
export class TaskWorker {
  readonly fence = new TokenFence();
  /** Awards refused, by code (E_FENCED, E_OVERFLOW, E_UNSUPPORTED, E_CLOSED…). */
  readonly refused = new Map<string, number>();
  readonly #d: ReportDeps;
  #credits: number;
  readonly #handlers = new Map<string, Registered>();
  readonly #bidders = new Map<string, BidFn>();
  readonly #seen: RecentMap<true>;
  readonly #running = new Map<string, RunningTask>();
  /** Attempts whose final report is not yet acknowledged (drain waits for them). */
  readonly #unreported = new Set<RunningTask>();
  readonly #subs: Subscription[] = [];
  readonly #giveUp = new AbortController();
  readonly #malformed: CountMalformed;
  #accepting = true;
  onChange: (inFlight: number) => void = () => {};

  constructor(d: ReportDeps, credits: number, recentIds: number, malformed: CountMalformed) {
    this.#d = d;
    this.#credits = credits;
    this.#seen = new RecentMap(recentIds);
    this.#malformed = malformed;
  }

  /** Most tasks at once; lowering it never aborts a running one, it only refuses new awards and bids. */
  get credits(): number {
    return this.#credits;
  }

  set credits(n: number) {
    this.#credits = n;
  }

  get inFlight(): number {
    return this.#running.size;
  }

  start(): void {
    const { bus, agentId, clock } = this.#d;
    if (this.#d.reports) {
      this.#subs.push(
        bus.subscribe(subjects.agentTaskAwards(agentId), {
          callback: (_e, m) => {
            const reply = answerAwardBatch(
              m.data,
              agentId,
              clock,
              (award) => this.#take(award),
              () => this.#malformed("awardBatch"),
            );
            try {
              m.respond(reply);
            } catch {
              // the link went down: the coordinator times out and re-sends the awards
            }
          },
        }),
      );
    }
    this.#subs.push(
      bus.subscribe(subjects.agentTaskAward(agentId), {
        callback: (_e, m) => {
          const reply = this.#onAward(m.data);
          try {
            m.respond(reply);
          } catch {
            // the link went down: the coordinator times out and re-sends the award
          }
        },
      }),
      bus.subscribe(subjects.agentTaskCancel(agentId), { callback: (_e, m) => this.#onCancel(m.data) }),
      answerOffers(bus, agentId, (task) => this.#price(task), {
        clock: this.#d.clock,
        onInvalid: () => this.#malformed("offer"),
      }),
    );
  }

  on(capability: string, handler: TaskHandler, credits = Math.max(1, this.#credits)): () => void {
    validateId("capability", capability);
    if (typeof handler !== "function")
      throw new SwarmError("E_INVALID", "handler must be a function", { field: "handler" });
    if (!Number.isSafeInteger(credits) || credits < 1)
      throw new SwarmError("E_INVALID", "credits must be a whole number ≥ 1", { field: "credits" });
    if (this.#handlers.has(capability))
      throw new SwarmError("E_EXISTS", `a task handler for ${capability} exists`, { capability });
    const reg = { handler, credits, running: 0 };
    this.#handlers.set(capability, reg);
    return () => {
      if (this.#handlers.get(capability) === reg) this.#handlers.delete(capability);
    };
  }

  bid(capability: string, price: BidFn): () => void {
    validateId("capability", capability);
    this.#bidders.set(capability, price);
    return () => {
      if (this.#bidders.get(capability) === price) this.#bidders.delete(capability);
    };
  }

  /** Refuses new awards and bids from now on; waits up to `timeoutMs` for running handlers, aborts the rest, waits their final reports (bounded by `timeoutMs` again). */
  async drain(timeoutMs: number): Promise<void> {
    this.#accepting = false;
    const all = () => Promise.all([...this.#unreported].map((r) => r.done));
    if (this.#unreported.size > 0 && !(await this.#within(all(), timeoutMs))) {
      for (const r of this.#running.values())
        r.abort(new SwarmError("E_CLOSED", "agent closed", { taskId: r.taskId }));
      if (!(await this.#within(all(), timeoutMs))) this.#giveUp.abort();
    }
    this.#giveUp.abort();
    for (const s of this.#subs.splice(0)) s.unsubscribe();
  }

  #within(p: Promise<unknown>, ms: number): Promise<boolean> {
    if (ms <= 0) return Promise.race([p.then(() => true), Promise.resolve(false)]);
    return new Promise((resolve) => {
      const t = this.#d.clock.setTimeout(() => resolve(false), ms);
      void p.then(() => {
        this.#d.clock.clearTimeout(t);
        resolve(true);
      });
    });
  }

  #match(task: Task): [string, Registered] | undefined {
    for (const c of task.capabilities?.length ? task.capabilities : [task.kind]) {
      const reg = this.#handlers.get(c);
      if (reg) return [c, reg];
    }
    return undefined;
  }

  #price(task: Task): number | undefined {
    if (!this.#accepting || this.#running.size >= this.#credits) return undefined;
    for (const c of task.capabilities?.length ? task.capabilities : [task.kind]) {
      const price = this.#bidders.get(c);
      if (!price) continue;
      try {
        return price(task);
      } catch {
        return undefined; // a pricing function that throws stays out of this auction
      }
    }
    return undefined;
  }

  /** Answers one award; the reply carries the award Envelope's id as its correlation id. */
  #onAward(data: Uint8Array): Uint8Array {
    let env: Envelope | undefined;
    let award: Award;
    try {
      env = decodeEnvelope(data);
      award = unwrapAs(env, "swarmlink.v1.Award");
    } catch (err) {
      this.#malformed("award");
      return this.#reply(env?.id, this.#result({ taskId: "", attempt: 0, token: 0 }, err));
    }
    return this.#reply(env.id, this.#take(award));
  }

  /** Takes or refuses one award (alone or of a batch): its answer. */
  #take(award: Award): ResultInit {
    const a = { taskId: award.taskId, attempt: award.attempt, token: Number(award.fencingToken) };
    try {
      validateId("taskId", award.taskId);
    } catch (err) {
      this.#malformed("award");
      return this.#result({ ...a, taskId: "" }, err);
    }
    const err = this.#decide(award, a);
    if (err !== undefined) {
      const code = isSwarmError(err) ? err.code : "E_INTERNAL";
      this.refused.set(code, (this.refused.get(code) ?? 0) + 1);
    }
    return this.#result(a, err);
  }

  /** Accepts (starts the attempt, returns undefined) or returns why the award is refused. */
  #decide(award: Award, { taskId, attempt, token }: AwardKey): SwarmError | undefined {
    const before = this.fence.highest(COORDINATOR_FENCE_GROUP) ?? 0;
    try {
      this.fence.check(COORDINATOR_FENCE_GROUP, token);
    } catch (err) {
      return isSwarmError(err) ? err : new SwarmError("E_FENCED", String(err), { taskId });
    }
    const key = `${taskId}#${attempt}`;
    if (this.#seen.has(key)) {
      // A new leader re-sending the same attempt: acknowledge, adopt its term, never run it twice.
      const r = this.#running.get(taskId);
      if (r && r.attempt === attempt) r.token = Math.max(r.token, token);
      return undefined;
    }
    if (token > before) this.#newTerm(token);
    if (!this.#accepting) return new SwarmError("E_CLOSED", "agent closing", { taskId });
    const match = award.task ? this.#match(award.task as Task) : undefined;
    if (!match) return new SwarmError("E_UNSUPPORTED", "no handler for this task", { taskId });
    const [, reg] = match;
    if (this.#running.size >= this.#credits || reg.running >= reg.credits || this.#running.has(taskId))
      return new SwarmError("E_OVERFLOW", "no free credit", { taskId });
    this.#seen.set(key, true);
    const run = new RunningTask(this.#d, award, reg.handler, this.#giveUp.signal);
    reg.running++;
    this.#running.set(taskId, run);
    this.onChange(this.#running.size);
    this.#unreported.add(run);
    void run.done.finally(() => this.#unreported.delete(run));
    void run.finished.finally(() => {
      reg.running--;
      if (this.#running.get(taskId) === run) this.#running.delete(taskId);
      this.onChange(this.#running.size);
    });
    return undefined;
  }

  /** A newer coordinator term: each attempt awarded under an older one asks the new leader if it is still ours. */
  #newTerm(token: number): void {
    for (const r of this.#running.values()) if (r.token < token) r.recheck();
  }

  #onCancel(data: Uint8Array): void {
    try {
      const c = unwrapAs(decodeEnvelope(data), "swarmlink.v1.TaskCancel");
      this.#running
        .get(c.taskId)
        ?.abort(new SwarmError("E_ABORTED", c.reason || "cancelled", { taskId: c.taskId }));
    } catch {
      this.#malformed("cancel"); // not a cancel: counted, ignored
    }
  }

  /** ACCEPTED, or REJECTED with `err`. */
  #result({ taskId, attempt, token }: AwardKey, err?: unknown): ResultInit {
    const state = err === undefined ? TaskState.TASK_STATE_ACCEPTED : TaskState.TASK_STATE_REJECTED;
    return {
      taskId,
      agentId: this.#d.agentId,
      attempt,
      state,
      fencingToken: token,
      ...(err === undefined ? {} : { error: errorOf(err) }),
    };
  }

  #reply(correlationId: string | undefined, r: ResultInit): Uint8Array {
    const meta = { source: this.#d.agentId, ...(correlationId ? { correlationId } : {}) };
    return encodeEnvelope(wrap("swarmlink.v1.TaskResult", r, meta, { clock: this.#d.clock }));
  }
}
