/** A simulated agent for the dispatcher's tests: answers awards and reports on the Bus. */
import {
  type Clock,
  decodeEnvelope,
  encodeEnvelope,
  isSwarmError,
  subjects,
  type TaskInfo,
  TaskState,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import type { Bus, Subscription } from "@swarmlink/transport";
import { TokenFence } from "../../src/election/mod.js";
import { readReply } from "../../src/tasks/wire.js";

/**
 * How a simulated agent treats an award. `mute`: runs it and succeeds, but its answer to the award is
 * lost (as when the leader that sent it dies first).
 */
export type Behaviour = "succeed" | "fail" | "reject" | "silent" | "hold" | "mute";

export interface SimAgentOptions {
  bus: Bus;
  clock: Clock;
  id: string;
  /** @default "succeed" */
  behaviour?: Behaviour | ((award: AwardSeen) => Behaviour);
  /** Time from accepting to the final report, in ms. @default 50 */
  workMs?: number;
  /** Refuses awards older than a token it has seen. @default a new TokenFence */
  fence?: TokenFence;
  /** Also reports ACCEPTED on the status subject, as the SDK should. @default true */
  reportAccepted?: boolean;
  /** Wait between two tries of an unacknowledged report, in ms. @default 100 */
  retryMs?: number;
}

export interface AwardSeen {
  taskId: string;
  attempt: number;
  token: number;
  /** The award Envelope as received. */
  raw: Uint8Array;
}

/**
 * An agent on the Bus: answers awards (ACCEPTED, or REJECTED when its fence or its behaviour says
 * so), works for `workMs`, reports until acknowledged. Counts what it ran.
 */
export class SimAgent {
  readonly id: string;
  readonly fence: TokenFence;
  /** Tasks it is running now. */
  readonly running = new Set<string>();
  maxRunning = 0;
  /** (taskId, attempt) pairs it started, in order. */
  readonly started: { taskId: string; attempt: number }[] = [];
  readonly awards: AwardSeen[] = [];
  readonly cancels: string[] = [];
  readonly refused: { taskId: string; code: string }[] = [];
  #o: Required<Omit<SimAgentOptions, "fence">>;
  #subs: Subscription[] = [];
  #held = new Map<string, () => void>();
  /** (task, attempt) pairs taken: a repeat is acknowledged, never run again (the wire contract). */
  #taken = new Set<string>();
  #closed = false;

  constructor(o: SimAgentOptions) {
    this.id = o.id;
    this.fence = o.fence ?? new TokenFence();
    this.#o = { behaviour: "succeed", workMs: 50, reportAccepted: true, retryMs: 100, ...o };
    this.#subs.push(
      o.bus.subscribe(subjects.agentTaskAward(o.id), {
        callback: (_e, m) => this.#onAward(m.data, (d) => m.respond(d)),
      }),
      o.bus.subscribe(subjects.agentTaskCancel(o.id), {
        callback: (_e, m) => {
          const c = unwrapAs(decodeEnvelope(m.data), "swarmlink.v1.TaskCancel");
          this.cancels.push(c.taskId);
          this.running.delete(c.taskId);
          this.#held.delete(c.taskId);
        },
      }),
    );
  }

  /** Lets a held task ("hold" behaviour) finish now. */
  release(taskId: string): void {
    this.#held.get(taskId)?.();
  }

  close(): void {
    this.#closed = true;
    for (const s of this.#subs) s.unsubscribe();
  }

  #onAward(data: Uint8Array, respond: (d: Uint8Array) => void): void {
    const award = unwrapAs(decodeEnvelope(data), "swarmlink.v1.Award");
    const seen = {
      taskId: award.taskId,
      attempt: award.attempt,
      token: award.fencingToken,
      raw: data.slice(),
    };
    this.awards.push(seen);
    const b = typeof this.#o.behaviour === "function" ? this.#o.behaviour(seen) : this.#o.behaviour;
    if (b === "silent") return;
    try {
      this.fence.check("dispatcher", award.fencingToken);
    } catch (err) {
      const code = isSwarmError(err) ? err.code : "E_INTERNAL";
      this.refused.push({ taskId: award.taskId, code });
      respond(this.#result(award.taskId, award.attempt, TaskState.TASK_STATE_REJECTED, { code }));
      return;
    }
    if (b === "reject") {
      respond(this.#result(award.taskId, award.attempt, TaskState.TASK_STATE_REJECTED, { code: "BUSY" }));
      return;
    }
    const key = `${award.taskId}#${award.attempt}`;
    if (this.#taken.has(key)) {
      respond(this.#result(award.taskId, award.attempt, TaskState.TASK_STATE_ACCEPTED));
      return;
    }
    this.#taken.add(key);
    if (b !== "mute") respond(this.#result(award.taskId, award.attempt, TaskState.TASK_STATE_ACCEPTED));
    this.started.push({ taskId: award.taskId, attempt: award.attempt });
    this.running.add(award.taskId);
    this.maxRunning = Math.max(this.maxRunning, this.running.size);
    if (this.#o.reportAccepted) void this.#report(award.taskId, award.attempt, TaskState.TASK_STATE_ACCEPTED);
    const finish = () => {
      this.#held.delete(award.taskId);
      if (!this.running.delete(award.taskId)) return; // cancelled meanwhile
      const final = b === "fail" ? TaskState.TASK_STATE_FAILED : TaskState.TASK_STATE_SUCCEEDED;
      void this.#report(award.taskId, award.attempt, final);
    };
    if (b === "hold") this.#held.set(award.taskId, finish);
    else this.#o.clock.setTimeout(finish, this.#o.workMs);
  }

  #result(taskId: string, attempt: number, state: TaskState, error?: { code: string }): Uint8Array {
    const payload = {
      taskId,
      agentId: this.id,
      state,
      attempt,
      result:
        state === TaskState.TASK_STATE_SUCCEEDED ? new TextEncoder().encode(`done by ${this.id}`) : undefined,
      error: error ? { code: error.code, message: error.code, context: {} } : undefined,
    };
    return encodeEnvelope(
      wrap("swarmlink.v1.TaskResult", payload, { source: this.id }, { clock: this.#o.clock }),
    );
  }

  /** Sends a report until the leader acknowledges it. */
  async #report(taskId: string, attempt: number, state: TaskState): Promise<TaskInfo | undefined> {
    const data = this.#result(taskId, attempt, state);
    while (!this.#closed) {
      try {
        const reply = await this.#o.bus.request(subjects.taskStatus(taskId), data, { timeout: 1000 });
        return readReply(reply.data, "swarmlink.v1.TaskInfo");
      } catch (err) {
        if (this.#closed || isSwarmError(err, "E_CLOSED", "E_NOT_FOUND")) return undefined;
        await new Promise<void>((r) => this.#o.clock.setTimeout(r, this.#o.retryMs));
      }
    }
    return undefined;
  }
}
