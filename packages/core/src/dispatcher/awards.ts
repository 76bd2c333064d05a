import {
  isSwarmError,
  type SwarmError,
  subjects,
  type TaskResult,
  TaskState,
  toSwarmError,
} from "@swarmlink/protocol";
import { ENVELOPE_ALLOWANCE_BYTES } from "../tasks/batches.js";
import { lengthDelimitedSize } from "../tasks/splice.js";
import { readReply } from "../tasks/wire.js";
import type { TermContext } from "./context.js";
import { encodeAward, encodeAwardBatch } from "./encoding.js";
import { type ErrorInfo, errorInfo, type TaskRecord } from "./record.js";

/** How an award request ended. */
export interface Answer {
  accepted: boolean;
  reason: string;
  error?: ErrorInfo | undefined;
  /** No answer came: the agent may have taken it; tell it to stop. */
  silent: boolean;
}

interface Waiting {
  taskId: string;
  attempt: number;
  /** The encoded Award. */
  award: Uint8Array;
  resolve: (a: Answer) => void;
}

/** Most awards in one AwardBatch; more for one agent in one turn go in several. */
export const MAX_AWARDS_PER_BATCH = 256;

/**
 * Sends awards and reads their answers, for one term. An agent whose descriptor asks for batches
 * gets every award made to it in one turn of the event loop in one AwardBatch request (one message
 * each way instead of one per award, which is most of an award's cost at a high task rate); any
 * other agent (MQTT firmware, for one) one Award request per task. Either way each award gets its
 * own {@link Answer}: a batch's answers are matched to its awards by task id.
 */
export class Awarder {
  #ctx: TermContext;
  #batches = new Map<string, { items: Waiting[]; bytes: number }>();
  #scheduled = false;

  constructor(ctx: TermContext) {
    this.#ctx = ctx;
  }

  /** Sends the award of `rec`'s attempt; whatever happens, says whether it was accepted. */
  ask(rec: TaskRecord): Promise<Answer> {
    const { o, token } = this.#ctx;
    const agentId = rec.assignee;
    let award: Uint8Array;
    try {
      const fields = {
        taskId: rec.task.id,
        agentId,
        fencingToken: token,
        coordinatorId: o.coordinatorId,
        attempt: rec.attempts,
        deadlineMs: rec.task.deadlineMs,
      };
      award = encodeAward(fields, rec.task);
    } catch (err) {
      return Promise.resolve(noAnswer(toSwarmError(err), agentId));
    }
    if (o.directory.get(agentId)?.awardBatches)
      return this.#batched(agentId, rec.task.id, rec.attempts, award);
    return this.#single(agentId, award);
  }

  async #single(agentId: string, award: Uint8Array): Promise<Answer> {
    const { o, signal } = this.#ctx;
    try {
      const data = this.#ctx.envelopes.award(award);
      const reply = await o.bus.request(subjects.agentTaskAward(agentId), data, {
        timeout: o.acceptTimeoutMs,
        signal,
      });
      return answerOf(readReply(reply.data, "swarmlink.v1.TaskResult"), agentId);
    } catch (err) {
      return noAnswer(toSwarmError(err), agentId);
    }
  }

  #batched(agentId: string, taskId: string, attempt: number, award: Uint8Array): Promise<Answer> {
    return new Promise((resolve) => {
      const size = lengthDelimitedSize(award.length);
      let batch = this.#batches.get(agentId);
      // A batch closes before it would outgrow what the Bus carries (or its count); an award too
      // large for any batch goes alone and fails as a single award that large would.
      if (batch && (batch.bytes + size > this.#budget() || batch.items.length >= MAX_AWARDS_PER_BATCH)) {
        void this.#send(agentId, batch.items);
        batch = undefined;
      }
      if (!batch) {
        batch = { items: [], bytes: 0 };
        this.#batches.set(agentId, batch);
      }
      batch.items.push({ taskId, attempt, award, resolve });
      batch.bytes += size;
      if (!this.#scheduled) {
        this.#scheduled = true;
        process.nextTick(() => this.#flush());
      }
    });
  }

  /** Bytes of awards one AwardBatch may carry: the Bus's largest payload, less room for the Envelope. */
  #budget(): number {
    return this.#ctx.o.bus.capabilities.maxPayloadBytes - ENVELOPE_ALLOWANCE_BYTES;
  }

  #flush(): void {
    this.#scheduled = false;
    const batches = this.#batches;
    this.#batches = new Map();
    for (const [agentId, batch] of batches) void this.#send(agentId, batch.items);
  }

  /** One AwardBatch request; resolves every award of it. Never rejects. */
  async #send(agentId: string, list: Waiting[]): Promise<void> {
    const { o, signal } = this.#ctx;
    try {
      const batch = encodeAwardBatch(list.map((w) => w.award));
      const data = this.#ctx.envelopes.awardBatch(batch);
      const reply = await o.bus.request(subjects.agentTaskAwards(agentId), data, {
        timeout: o.acceptTimeoutMs,
        signal,
      });
      const { results } = readReply(reply.data, "swarmlink.v1.TaskResultBatch");
      const byTask = new Map<string, TaskResult>();
      for (const r of results as TaskResult[]) byTask.set(r.taskId, r);
      for (const w of list) {
        const r = byTask.get(w.taskId);
        // An answer for another attempt, or none: the agent may hold the award, so it is told to stop.
        if (r && r.attempt === w.attempt) w.resolve(answerOf(r, agentId));
        else w.resolve(unanswered(agentId));
      }
    } catch (err) {
      const answer = noAnswer(toSwarmError(err), agentId);
      for (const w of list) w.resolve(answer);
    }
  }
}

function answerOf(result: TaskResult, agentId: string): Answer {
  if (result.state === TaskState.TASK_STATE_ACCEPTED) return { accepted: true, reason: "", silent: false };
  const code = result.error?.code ? ` (${result.error.code})` : "";
  const error = errorInfo(result.error);
  return { accepted: false, reason: `award refused by ${agentId}${code}`, error, silent: false };
}

function noAnswer(e: SwarmError, agentId: string): Answer {
  const silent = isSwarmError(e, "E_TIMEOUT");
  const reason = `no acceptance of the award from ${agentId} (${e.code})`;
  return { accepted: false, reason, error: { code: e.code, message: e.message, context: {} }, silent };
}

function unanswered(agentId: string): Answer {
  const message = "the agent's answer to its award batch left this award out";
  return {
    accepted: false,
    reason: `no acceptance of the award from ${agentId} (E_DECODE)`,
    error: { code: "E_DECODE", message, context: {} },
    silent: true,
  };
}
