import {
  type Award,
  type Clock,
  decodeEnvelope,
  type Envelope,
  type ErrorPayload,
  type PayloadInit,
  SwarmError,
  subjects,
  type TaskInfo,
  unwrapAs,
} from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";
import { envelopeBytes, errorBytes, readReply, swarmErrorOf } from "./wire.js";

/** A TaskResult as an agent writes it. */
export type ResultInit = PayloadInit<"swarmlink.v1.TaskResult">;

/** Most reports in one TaskResultBatch; more in one turn go in several. */
export const MAX_REPORTS_PER_BATCH = 256;

/**
 * The agent side of an AwardBatch (`subjects.agentTaskAwards`): decodes the batch and answers each
 * award with what `decide` says, all in one TaskResultBatch whose correlation id is the batch's
 * Envelope id. A message that is not an AwardBatch Envelope is answered with an Error Envelope
 * (the dispatcher then fails those attempts at once instead of waiting) after `onMalformed`.
 */
export function answerAwardBatch(
  data: Uint8Array,
  source: string,
  clock: Clock,
  decide: (award: Award) => ResultInit,
  onMalformed: (err: unknown) => void = () => {},
): Uint8Array {
  let env: Envelope | undefined;
  let awards: Award[];
  try {
    env = decodeEnvelope(data);
    awards = unwrapAs(env, "swarmlink.v1.AwardBatch").awards as Award[];
  } catch (err) {
    onMalformed(err);
    return errorBytes(err, source, clock, env?.id);
  }
  const results = awards.map(decide);
  return envelopeBytes("swarmlink.v1.TaskResultBatch", { results }, source, clock, env.id);
}

interface Pending {
  result: ResultInit;
  resolve: (info: TaskInfo) => void;
  reject: (err: unknown) => void;
}

/** What a {@link ReportBatcher} needs. */
export interface ReportBatcherOptions {
  bus: Bus;
  /** The agent's id: the batches' source. */
  source: string;
  clock: Clock;
  /** Wait for the leader's answer to one batch, in ms. */
  timeoutMs: number;
}

/**
 * An agent's status reports, sent together: the reports made in one turn of the event loop go to
 * the leader in one TaskResultBatch request (`subjects.taskReports`) instead of one request each.
 * Each `report` resolves with the task's record as the leader has it after the report (without the
 * task's spec), or rejects with the leader's error for that report, or with the Bus's error when
 * the batch got no answer (the caller retries, as after a single report).
 */
export class ReportBatcher {
  #o: ReportBatcherOptions;
  #pending: Pending[] = [];

  constructor(o: ReportBatcherOptions) {
    this.#o = o;
  }

  report(result: ResultInit): Promise<TaskInfo> {
    return new Promise((resolve, reject) => {
      if (this.#pending.length === 0) process.nextTick(() => this.#flush());
      this.#pending.push({ result, resolve, reject });
      if (this.#pending.length >= MAX_REPORTS_PER_BATCH) this.#flush();
    });
  }

  #flush(): void {
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    void this.#send(batch);
  }

  async #send(batch: Pending[]): Promise<void> {
    const { bus, source, clock, timeoutMs } = this.#o;
    try {
      const results = batch.map((p) => p.result);
      const data = envelopeBytes("swarmlink.v1.TaskResultBatch", { results }, source, clock);
      const reply = await bus.request(subjects.taskReports(), data, { timeout: timeoutMs });
      const { acks } = readReply(reply.data, "swarmlink.v1.TaskReportAcks");
      batch.forEach((p, i) => {
        const ack = acks[i];
        if (ack?.info && ack.taskId === p.result.taskId) p.resolve(ack.info as TaskInfo);
        else if (ack?.error) p.reject(swarmErrorOf(ack.error as ErrorPayload));
        else p.reject(new SwarmError("E_DECODE", "the leader's answer has no ack for this report"));
      });
    } catch (err) {
      for (const p of batch) p.reject(err);
    }
  }
}
