import {
  type Award,
  type Clock,
  decodeEnvelope,
  isSwarmError,
  subjects,
  systemClock,
  TaskState,
  unwrapAs,
} from "@swarmlink/protocol";
import type { Bus, Subscription } from "@swarmlink/transport";
import { TokenFence } from "../election/mod.js";
import type { DescriptorInit } from "../registry/mod.js";
import { SimulatedAgent } from "../registry/mod.js";
import { answerAwardBatch, ReportBatcher, type ResultInit } from "../tasks/batches.js";
import { envelopeBytes } from "../tasks/wire.js";

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
  /**
   * Takes awards in batches and sends its reports in batches (descriptor `awardBatches`), as the
   * SDK does; false: one request per award and per report, as MQTT firmware does. @default true
   */
  batches?: boolean;
}

/**
 * A worker agent for simulations, tests and benchmarks: registers and heartbeats (SimulatedAgent),
 * accepts awards within its credits, refuses an award whose fencing token is older than one it has
 * seen (E_FENCED), runs each (task, attempt) at most once — a repeated award of the same attempt is
 * acknowledged, not run again — and reports the result until the leader acknowledges it. This is
 * the agent side of the dispatcher's wire contract, in batches or one message per award and report
 * (`batches`); the SDK implements the same for real agents.
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
  #o: Required<Omit<SimulatedWorkerOptions, "clock" | "heartbeatIntervalMs" | "onRun" | "batches">>;
  #reports: ReportBatcher | undefined;
  #onRun: ((taskId: string, attempt: number) => void) | undefined;
  #seen = new Set<string>();
  #running = 0;
  #credits: number;
  #subs: Subscription[] = [];
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
    const batches = opts.batches ?? true;
    if (batches) {
      this.#reports = new ReportBatcher({
        bus,
        source: this.id,
        clock: this.#clock,
        timeoutMs: this.#o.reportTimeoutMs,
      });
    }
    this.agent = new SimulatedAgent(
      bus,
      { ...descriptor, awardBatches: batches },
      { clock: this.#clock, heartbeatIntervalMs: opts.heartbeatIntervalMs ?? 1000 },
    );
  }

  /** Serves awards, registers and starts heartbeating. */
  async start(): Promise<void> {
    this.#subs.push(
      this.#bus.subscribe(subjects.agentTaskAward(this.id), {
        callback: (_e, m) => this.#onAward(m.data, (d) => m.respond(d)),
      }),
    );
    if (this.#reports) {
      this.#subs.push(
        this.#bus.subscribe(subjects.agentTaskAwards(this.id), {
          callback: (_e, m) => {
            try {
              m.respond(answerAwardBatch(m.data, this.id, this.#clock, (a) => this.#decide(a)));
            } catch {
              // the link went down: the coordinator times out and sends the awards again
            }
          },
        }),
      );
    }
    await this.#bus.flush();
    await this.agent.register();
    this.agent.start();
  }

  close(): void {
    this.#closed = true;
    for (const s of this.#subs.splice(0)) s.unsubscribe();
    this.agent.close();
  }

  #onAward(data: Uint8Array, respond: (d: Uint8Array) => void): void {
    let award: Award;
    let awardId: string;
    try {
      const env = decodeEnvelope(data);
      award = unwrapAs(env, "swarmlink.v1.Award");
      awardId = env.id;
    } catch {
      return; // not an award: nothing to answer
    }
    // The reply carries the award's id as its correlation id (the wire contract's rule for replies).
    respond(envelopeBytes("swarmlink.v1.TaskResult", this.#decide(award), this.id, this.#clock, awardId));
  }

  /** Takes or refuses one award; starts it when taken. The answer to send. */
  #decide(award: Award): ResultInit {
    const { taskId, attempt, fencingToken: token } = award;
    const answer = (state: TaskState, code?: string): ResultInit => ({
      taskId,
      agentId: this.id,
      state,
      attempt,
      error: code ? { code, message: code, context: {} } : undefined,
    });
    try {
      this.fence.check("coordinator", token);
    } catch (err) {
      if (!isSwarmError(err, "E_FENCED")) throw err;
      this.refused.push({ taskId, token });
      return answer(TaskState.TASK_STATE_REJECTED, "E_FENCED");
    }
    const key = `${taskId}#${attempt}`;
    // The same attempt again (a new leader re-sending it): acknowledge, never run twice.
    if (this.#seen.has(key)) return answer(TaskState.TASK_STATE_ACCEPTED);
    if (this.#running >= this.#credits) return answer(TaskState.TASK_STATE_REJECTED, "E_OVERFLOW");
    this.#seen.add(key);
    this.#running++;
    this.agent.inFlight = this.#running;
    this.runs.push({ taskId, attempt, token });
    this.#onRun?.(taskId, attempt);
    const finish = () => {
      this.#running--;
      this.agent.inFlight = this.#running;
      const ok = this.#o.outcome(taskId, attempt) === "succeed";
      void this.#report(answer(ok ? TaskState.TASK_STATE_SUCCEEDED : TaskState.TASK_STATE_FAILED));
    };
    if (this.#o.workMs > 0) this.#clock.setTimeout(finish, this.#o.workMs);
    else queueMicrotask(finish);
    return answer(TaskState.TASK_STATE_ACCEPTED);
  }

  /** Reports until acknowledged: during a failover nobody answers for a while (E_NO_RESPONDERS). */
  async #report(result: ResultInit): Promise<void> {
    const send = this.#reports
      ? (r: ResultInit) => this.#reports!.report(r)
      : (r: ResultInit) =>
          this.#bus.request(
            subjects.taskStatus(r.taskId!),
            envelopeBytes("swarmlink.v1.TaskResult", r, this.id, this.#clock),
            { timeout: this.#o.reportTimeoutMs },
          );
    while (!this.#closed) {
      try {
        await send(result);
        this.reported++;
        return;
      } catch (err) {
        if (this.#closed || isSwarmError(err, "E_CLOSED")) return;
        await new Promise<void>((r) => this.#clock.setTimeout(r, this.#o.retryMs));
      }
    }
  }
}
