import {
  type Clock,
  ERROR_CODES,
  type ErrorCode,
  SwarmError,
  type Task,
  type TimerHandle,
} from "@swarmlink/protocol";
import type { Agent, TaskContext } from "@swarmlink/sdk";
import type { SwarmEffect, SwarmEvent } from "./events.js";

/** Longest a task's result waits for the registry to take the credits its end made the machine change, in ms. */
export const CREDITS_WAIT_MS = 2000;

interface Job {
  accepted: boolean;
  settled: boolean;
  progress: (f: number) => void;
  resolve: (v: unknown) => void;
  reject: (e: SwarmError) => void;
}

/**
 * Tasks between an Agent and a machine: offers become `swarm.task.offered` (the bid is the
 * `swarm.bid` the machine emits in that step), awards `swarm.task.awarded` (the handler settles on
 * `swarm.complete` / `swarm.fail` / `swarm.refuse`), aborts `swarm.task.cancelled`.
 */
export class TaskBridge {
  readonly #agent: Agent;
  readonly #capabilities: string[];
  readonly #send: (e: SwarmEvent) => void;
  readonly #jobs = new Map<string, Job>();
  #offer: { taskId: string; cost: number | undefined } | undefined;
  #offHandlers: (() => void)[] = [];
  readonly #offBids: (() => void)[] = [];
  #accepting = false;
  /** The agent's credits when bound: what `swarm.accepting` true gives back. */
  readonly #credits: number;
  /** Whether the machine dropped the agent's credits to 0 (`swarm.accepting` false). */
  #dropped = false;
  /** The registry's copy of the last credits change, until it lands. */
  #crediting: Promise<void> | undefined;
  readonly #onError: (err: SwarmError) => void;
  readonly #clock: Clock;

  constructor(
    agent: Agent,
    capabilities: string[],
    send: (e: SwarmEvent) => void,
    onError: (err: SwarmError) => void,
    clock: Clock,
  ) {
    this.#clock = clock;
    this.#agent = agent;
    this.#capabilities = capabilities;
    this.#send = send;
    this.#credits = agent.credits;
    this.#onError = onError;
  }

  /** Whether awards are taken and bids made (false: "credits dropped"). */
  get accepting(): boolean {
    return this.#accepting;
  }

  start(): void {
    for (const c of this.#capabilities) this.#offBids.push(this.#agent.bid(c, (task) => this.#price(task)));
    this.setAccepting(true);
  }

  /** Registers (true) or removes (false) the task handlers: without one the agent REJECTS awards up front. */
  setAccepting(on: boolean): void {
    if (on === this.#accepting) return;
    this.#accepting = on;
    if (!on) {
      for (const off of this.#offHandlers.splice(0)) off();
      return;
    }
    this.#offHandlers = this.#capabilities.map((c) =>
      this.#agent.onTask(c, (task, ctx) => this.#run(task, ctx)),
    );
  }

  /** Applies a task effect; false when it is not one. */
  apply(e: SwarmEffect): boolean {
    switch (e.type) {
      case "swarm.bid":
        if (this.#offer && this.#offer.taskId === e.taskId && Number.isFinite(e.cost) && e.cost >= 0)
          this.#offer.cost = e.cost;
        return true;
      case "swarm.accept": {
        const j = this.#jobs.get(e.taskId);
        if (j) j.accepted = true;
        return true;
      }
      case "swarm.refuse":
        this.#jobs
          .get(e.taskId)
          ?.reject(new SwarmError(codeOf(e.code), "the behaviour refused the task", { taskId: e.taskId }));
        return true;
      case "swarm.progress":
        this.#jobs.get(e.taskId)?.progress(e.fraction);
        return true;
      case "swarm.complete":
        this.#jobs.get(e.taskId)?.resolve(e.result);
        return true;
      case "swarm.fail":
        this.#jobs.get(e.taskId)?.reject(new SwarmError(codeOf(e.code), e.message, { taskId: e.taskId }));
        return true;
      case "swarm.accepting":
        // credits first: the handlers registered again take the agent's credits as their bound
        void this.#setCredits(!e.accepting);
        this.setAccepting(e.accepting);
        return true;
      default:
        return false;
    }
  }

  /**
   * Unregisters everything, fails the running handlers with `E_CLOSED`, gives the agent its credits
   * back (at once in the agent; the registry's copy follows, never waited for: it may be unreachable).
   */
  close(): void {
    this.setAccepting(false);
    for (const off of this.#offBids.splice(0)) off();
    for (const [taskId, j] of this.#jobs)
      j.reject(new SwarmError("E_CLOSED", "behaviour stopped", { taskId }));
    void this.#setCredits(false);
  }

  /**
   * Drops the agent's credits to 0 (`drop`) or gives back those it had when bound, in the agent
   * and in the registry (a re-registration), so the dispatcher stops or starts choosing it.
   */
  async #setCredits(drop: boolean): Promise<void> {
    if (drop === this.#dropped) return;
    this.#dropped = drop;
    const p = this.#agent
      .setCredits(drop ? 0 : this.#credits)
      .catch((err) =>
        this.#onError(
          new SwarmError("E_UNAVAILABLE", "could not change the agent's credits", { drop }, { cause: err }),
        ),
      );
    this.#crediting = p;
    await p;
    if (this.#crediting === p) this.#crediting = undefined;
  }

  /**
   * Waits (at most `CREDITS_WAIT_MS`) for the registry to hold a credits change the machine made
   * while reacting to a task's end, so that the dispatcher, freeing the task's credit on its result,
   * already sees the agent's new credits (a charging agent is never chosen again).
   */
  async #creditsLanded(): Promise<void> {
    const p = this.#crediting;
    if (!p) return;
    let timer: TimerHandle | undefined;
    await Promise.race([p, new Promise<void>((r) => (timer = this.#clock.setTimeout(r, CREDITS_WAIT_MS)))]);
    if (timer !== undefined) this.#clock.clearTimeout(timer);
  }

  #price(task: Task): number | undefined {
    if (!this.#accepting) return undefined;
    this.#offer = { taskId: task.id, cost: undefined };
    try {
      this.#send({ type: "swarm.task.offered", task });
      return this.#offer.cost;
    } finally {
      this.#offer = undefined;
    }
  }

  async #run(task: Task, ctx: TaskContext): Promise<unknown> {
    const taskId = task.id;
    let job!: Job;
    const done = new Promise<unknown>((resolve, reject) => {
      job = {
        accepted: false,
        settled: false,
        progress: (f) => ctx.progress(f),
        resolve: (v) => {
          if (job.settled) return;
          job.settled = true;
          resolve(v);
        },
        reject: (err) => {
          if (job.settled) return;
          job.settled = true;
          reject(err);
        },
      };
    });
    this.#jobs.set(taskId, job);
    const onAbort = () => {
      const reason = ctx.signal.reason;
      const code = (reason as { code?: string })?.code ?? "E_ABORTED";
      job.reject(
        reason instanceof SwarmError ? reason : new SwarmError("E_ABORTED", "task aborted", { taskId }),
      );
      this.#send({ type: "swarm.task.cancelled", taskId, code });
    };
    ctx.signal.addEventListener("abort", onAbort, { once: true });
    try {
      this.#send({ type: "swarm.task.awarded", task, attempt: ctx.award.attempt });
      if (!job.accepted)
        job.reject(new SwarmError("E_UNAVAILABLE", "the behaviour did not take the task", { taskId }));
      return await done;
    } finally {
      ctx.signal.removeEventListener("abort", onAbort);
      if (this.#jobs.get(taskId) === job) this.#jobs.delete(taskId);
      this.#send({ type: "swarm.task.reported", taskId });
      await this.#creditsLanded();
    }
  }
}

/** A machine's code as a SwarmError code (an unknown one becomes E_INTERNAL). */
function codeOf(code: string): ErrorCode {
  return Object.hasOwn(ERROR_CODES, code) ? (code as ErrorCode) : "E_INTERNAL";
}
