import { TaskState as States, type TaskState } from "@swarmlink/protocol";
import { taskStateName } from "../tasks/states.js";

/** Dispatch latencies kept for `stats()` (overflow: the oldest sample is overwritten). */
export const LATENCY_SAMPLES = 1024;

/** What {@link Dispatcher.stats} reports. Counters are this replica's, since it started. */
export interface DispatcherStats {
  /** Whether this replica leads and works now. */
  leading: boolean;
  /** Token of the term it works under, if it leads. */
  token: number | undefined;
  /** Unfinished tasks by state name (`QUEUED`, `AWARDED`, ...), as this leader holds them. */
  tasksByState: Record<string, number>;
  /** Tasks that reached each final state here (`SUCCEEDED`, `EXPIRED`, `CANCELLED`, `DEAD_LETTERED`). */
  finished: Record<string, number>;
  /** Submissions turned into new records. */
  submitted: number;
  /** Submissions whose record already existed (repeats past the stream's duplicate window, redeliveries). */
  duplicates: number;
  /** Submissions that were not a decodable Task Envelope (terminated, not stored). */
  malformed: number;
  /** Requests (reports, cancels, gets, lists) refused as malformed (E_DECODE, E_INVALID, E_TOO_LARGE). */
  malformedRequests: number;
  /** Awards sent. */
  awards: number;
  /** Attempts that failed and were queued again. */
  retries: number;
  /** Tasks dead-lettered. */
  deadLetters: number;
  /** Auctions run (one per task, batched or not), and those that fell back to queue. */
  auctions: number;
  auctionFallbacks: number;
  /** Batch auctions run (several auction tasks allocated together; each task also counts in `auctions`). */
  batchAuctions: number;
  /** Leadership terms started, and writes refused because the term was over. */
  terms: number;
  fenced: number;
  /** Per-agent credits held by tasks. */
  loads: Record<string, number>;
  /** Recent dispatch latencies, in ms: from waiting (created, or the end of the backoff) to award. */
  dispatchLatencyMs: number[];
}

/** Counters of one Dispatcher, across its terms. */
export class StatsCollector {
  submitted = 0;
  duplicates = 0;
  malformed = 0;
  malformedRequests = 0;
  awards = 0;
  retries = 0;
  deadLetters = 0;
  auctions = 0;
  auctionFallbacks = 0;
  batchAuctions = 0;
  terms = 0;
  fenced = 0;
  finished: Record<string, number> = {};
  #latency: number[] = [];
  #next = 0;

  /** Counts a task reaching a final state. */
  finish(state: TaskState): void {
    const name = taskStateName(state);
    this.finished[name] = (this.finished[name] ?? 0) + 1;
    if (state === States.TASK_STATE_DEAD_LETTERED) this.deadLetters++;
  }

  latency(ms: number): void {
    if (this.#latency.length < LATENCY_SAMPLES) this.#latency.push(ms);
    else this.#latency[this.#next] = ms;
    this.#next = (this.#next + 1) % LATENCY_SAMPLES;
  }

  latencies(): number[] {
    return [...this.#latency];
  }
}
