import {
  type Award,
  type Clock,
  decodeEnvelope,
  type Envelope,
  type EnvelopeEncoder,
  type ErrorPayload,
  encodePayload,
  envelopeEncoder,
  isSwarmError,
  type PayloadInit,
  SwarmError,
  subjects,
  type TaskInfo,
  type TaskReportAck,
  TaskState,
  unwrapAs,
} from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";
import { lengthDelimitedSize, repeated } from "./splice.js";
import {
  encodedEnvelopeBytes,
  envelopeBytes,
  errorBytes,
  errorPayloadOf,
  readReply,
  swarmErrorOf,
} from "./wire.js";

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
  const results = awards.map((award): ResultInit => {
    try {
      return decide(award);
    } catch (err) {
      // One award the agent could not judge is refused; the others of the batch stand.
      const error = errorPayloadOf(err);
      const { taskId, agentId, attempt } = award;
      return { taskId, agentId, attempt, state: TaskState.TASK_STATE_REJECTED, error };
    }
  });
  try {
    return envelopeBytes("swarmlink.v1.TaskResultBatch", { results }, source, clock, env.id);
  } catch (err) {
    // An answer the schema refuses (a judge returned something that is not a TaskResult): the
    // agent cannot answer this batch; an Error says so at once instead of a timeout.
    onMalformed(err);
    return errorBytes(err, source, clock, env.id);
  }
}

interface Pending {
  taskId: string;
  /** The encoded TaskResult. */
  result: Uint8Array;
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

/** TaskResultBatch.results (schemas/swarmlink/v1/task.proto). */
const RESULTS_FIELD = 1;
/** Room a batch leaves in the Bus's largest payload for the Envelope around it (ids, type, source, time). */
export const ENVELOPE_ALLOWANCE_BYTES = 1024;

/**
 * An agent's status reports, sent together: the reports made in one turn of the event loop go to
 * the leader in one TaskResultBatch request (`subjects.taskReports`) instead of one request each,
 * as many as fit the Bus's largest payload. Each `report` resolves with the task's record as the
 * leader has it after the report (without the task's spec or result), or rejects with the leader's
 * error for that report, or with the Bus's error when the batch got no answer (the caller retries,
 * as after a single report). When nobody serves `taskReports` (E_NO_RESPONDERS: a leader of an
 * older version, or none during a failover), the reports of that batch go one by one on
 * `taskStatus`, as an agent without batches sends them.
 */
export class ReportBatcher {
  #o: ReportBatcherOptions;
  #pending: Pending[] = [];
  #bytes = 0;
  /** Made at the first batch, so that a malformed source fails the reports as it did, not the constructor. */
  #envelope: EnvelopeEncoder | undefined;

  constructor(o: ReportBatcherOptions) {
    this.#o = o;
  }

  report(result: ResultInit): Promise<TaskInfo> {
    return new Promise((resolve, reject) => {
      const bytes = encodePayload("swarmlink.v1.TaskResult", result);
      const size = lengthDelimitedSize(bytes.length);
      const budget = this.#o.bus.capabilities.maxPayloadBytes - ENVELOPE_ALLOWANCE_BYTES;
      if (
        this.#pending.length > 0 &&
        (this.#bytes + size > budget || this.#pending.length >= MAX_REPORTS_PER_BATCH)
      ) {
        this.#flush();
      }
      if (this.#pending.length === 0) process.nextTick(() => this.#flush());
      this.#pending.push({ taskId: result.taskId ?? "", result: bytes, resolve, reject });
      this.#bytes += size;
    });
  }

  #flush(): void {
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    this.#bytes = 0;
    void this.#send(batch);
  }

  async #send(batch: Pending[]): Promise<void> {
    const { bus, source, clock, timeoutMs } = this.#o;
    let acks: TaskReportAck[];
    try {
      const results = repeated(
        RESULTS_FIELD,
        batch.map((p) => p.result),
      );
      this.#envelope ??= envelopeEncoder("swarmlink.v1.TaskResultBatch", source, { clock });
      const data = this.#envelope(results);
      const reply = await bus.request(subjects.taskReports(), data, { timeout: timeoutMs });
      acks = readReply(reply.data, "swarmlink.v1.TaskReportAcks").acks as TaskReportAck[];
    } catch (err) {
      if (isSwarmError(err, "E_NO_RESPONDERS")) for (const p of batch) void this.#single(p);
      else for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const ack = acks[i];
      if (ack?.taskId !== p.taskId)
        p.reject(new SwarmError("E_DECODE", "the leader's answer has no ack for this report"));
      else if (ack.info) p.resolve(ack.info as TaskInfo);
      else
        p.reject(
          ack.error ? swarmErrorOf(ack.error as ErrorPayload) : new SwarmError("E_DECODE", "an empty ack"),
        );
    });
  }

  async #single(p: Pending): Promise<void> {
    try {
      p.resolve(await reportAlone(this.#o, p.taskId, p.result));
    } catch (err) {
      p.reject(err);
    }
  }
}

/**
 * One report on its task's `taskStatus` subject, as an agent without batches sends it: resolves
 * with the leader's TaskInfo, or throws the Bus's or the leader's error. `result` is a TaskResult,
 * encoded or not.
 */
export async function reportAlone(
  o: ReportBatcherOptions,
  taskId: string,
  result: Uint8Array | ResultInit,
): Promise<TaskInfo> {
  const bytes = result instanceof Uint8Array ? result : encodePayload("swarmlink.v1.TaskResult", result);
  const data = encodedEnvelopeBytes("swarmlink.v1.TaskResult", bytes, o.source, o.clock);
  const reply = await o.bus.request(subjects.taskStatus(taskId), data, { timeout: o.timeoutMs });
  return readReply(reply.data, "swarmlink.v1.TaskInfo");
}
