import {
  type Clock,
  decodeEnvelope,
  encodeEnvelope,
  isSwarmError,
  subjects,
  systemClock,
  TaskState,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import type { Bus, Subscription } from "@swarmlink/transport";
import { TokenFence } from "../election/mod.js";
import type { DescriptorInit } from "../registry/mod.js";
import { SimulatedAgent } from "../registry/mod.js";

export interface SimulatedWorkerOptions {
  clock?: Clock;
  /** Time from accepting an award to reporting success, in ms. @default 0 */
  workMs?: number;
  /** Between two heartbeats, in ms. @default 1000 */
  heartbeatIntervalMs?: number;
  /** Between two tries of an unacknowledged report, in ms. @default 100 */
  retryMs?: number;
  /** Deadline of one report request, in ms. @default 1000 */
  reportTimeoutMs?: number;
  /** Decides each award: run it, or fail it. @default always "succeed" */
  outcome?: (taskId: string, attempt: number) => "succeed" | "fail";
  /** Called as it starts running an award (for benchmarks timing dispatch). */
  onRun?: (taskId: string, attempt: number) => void;
}

/**
 * A worker agent for simulations, tests and benchmarks: registers and heartbeats (SimulatedAgent),
 * accepts awards within its credits, refuses an award whose fencing token is older than one it has
 * seen (E_FENCED), runs each (task, attempt) at most once — a repeated award of the same attempt is
 * acknowledged, not run again — and reports the result until the leader acknowledges it. This is
 * the agent side of the dispatcher's wire contract; the SDK implements the same for real agents.
 */
export class SimulatedWorker {
  readonly id: string;
  readonly agent: SimulatedAgent;
  readonly fence = new TokenFence();
  /** Executions, in order: each (task, attempt) appears once. */
  readonly runs: { taskId: string; attempt: number; token: number }[] = [];
  /** Awards refused by the fence. */
  readonly refused: { taskId: string; token: number }[] = [];
  /** Final reports (SUCCEEDED / FAILED) the leader has acknowledged: tasks it has recorded as done. */
  reported = 0;
  #bus: Bus;
  #clock: Clock;
  #o: Required<Omit<SimulatedWorkerOptions, "clock" | "heartbeatIntervalMs" | "onRun">>;
  #onRun: ((taskId: string, attempt: number) => void) | undefined;
  #seen = new Set<string>();
  #running = 0;
  #credits: number;
  #sub: Subscription | undefined;
  #closed = false;

  constructor(bus: Bus, descriptor: DescriptorInit & { id: string }, opts: SimulatedWorkerOptions = {}) {
    this.id = descriptor.id;
    this.#bus = bus;
    this.#clock = opts.clock ?? systemClock;
    this.#credits = descriptor.credits ?? 1;
    this.#o = {
      workMs: opts.workMs ?? 0,
      retryMs: opts.retryMs ?? 100,
      reportTimeoutMs: opts.reportTimeoutMs ?? 1000,
      outcome: opts.outcome ?? (() => "succeed"),
    };
    this.#onRun = opts.onRun;
    this.agent = new SimulatedAgent(bus, descriptor, {
      clock: this.#clock,
      heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 1000,
    });
  }

  /** Serves awards, registers and starts heartbeating. */
  async start(): Promise<void> {
    this.#sub = this.#bus.subscribe(subjects.agentTaskAward(this.id), {
      callback: (_e, m) => this.#onAward(m.data, (d) => m.respond(d)),
    });
    await this.#bus.flush();
    await this.agent.register();
    this.agent.start();
  }

  close(): void {
    this.#closed = true;
    this.#sub?.unsubscribe();
    this.agent.close();
  }

  #onAward(data: Uint8Array, respond: (d: Uint8Array) => void): void {
    let award: ReturnType<typeof unwrapAs<"swarmlink.v1.Award">>;
    let awardId: string;
    try {
      const env = decodeEnvelope(data);
      award = unwrapAs(env, "swarmlink.v1.Award");
      awardId = env.id;
    } catch {
      return; // not an award: nothing to answer
    }
    const { taskId, attempt, fencingToken: token } = award;
    // The reply carries the award's id as its correlation id (the wire contract's rule for replies).
    const reply = (state: TaskState, code?: string) =>
      respond(this.#result(taskId, attempt, state, code, awardId));
    try {
      this.fence.check("coordinator", token);
    } catch (err) {
      if (!isSwarmError(err, "E_FENCED")) throw err;
      this.refused.push({ taskId, token });
      reply(TaskState.TASK_STATE_REJECTED, "E_FENCED");
      return;
    }
    const key = `${taskId}#${attempt}`;
    if (this.#seen.has(key)) {
      // The same attempt again (a new leader re-sending it): acknowledge, never run twice.
      reply(TaskState.TASK_STATE_ACCEPTED);
      return;
    }
    if (this.#running >= this.#credits) {
      reply(TaskState.TASK_STATE_REJECTED, "E_OVERFLOW");
      return;
    }
    this.#seen.add(key);
    this.#running++;
    this.agent.inFlight = this.#running;
    this.runs.push({ taskId, attempt, token });
    this.#onRun?.(taskId, attempt);
    reply(TaskState.TASK_STATE_ACCEPTED);
    const finish = () => {
      this.#running--;
      this.agent.inFlight = this.#running;
      const ok = this.#o.outcome(taskId, attempt) === "succeed";
      void this.#report(taskId, attempt, ok ? TaskState.TASK_STATE_SUCCEEDED : TaskState.TASK_STATE_FAILED);
    };
    if (this.#o.workMs > 0) this.#clock.setTimeout(finish, this.#o.workMs);
    else queueMicrotask(finish);
  }

  #result(
    taskId: string,
    attempt: number,
    state: TaskState,
    code?: string,
    correlationId?: string,
  ): Uint8Array {
    const error = code ? { code, message: code, context: {} } : undefined;
    const env = wrap(
      "swarmlink.v1.TaskResult",
      { taskId, agentId: this.id, state, attempt, error },
      { source: this.id, ...(correlationId ? { correlationId } : {}) },
      { clock: this.#clock },
    );
    return encodeEnvelope(env);
  }

  /** Reports until acknowledged: during a failover nobody answers for a while (E_NO_RESPONDERS). */
  async #report(taskId: string, attempt: number, state: TaskState): Promise<void> {
    const data = this.#result(taskId, attempt, state);
    while (!this.#closed) {
      try {
        await this.#bus.request(subjects.taskStatus(taskId), data, { timeout: this.#o.reportTimeoutMs });
        this.reported++;
        return;
      } catch (err) {
        if (this.#closed || isSwarmError(err, "E_CLOSED")) return;
        await new Promise<void>((r) => this.#clock.setTimeout(r, this.#o.retryMs));
      }
    }
  }
}
