import { isSwarmError, type TimerHandle } from "@swarmlink/protocol";
import { taskStateName } from "../tasks/states.js";
import { type DispatcherOptions, type ParsedDispatcherOptions, parseDispatcherOptions } from "./options.js";
import { type DispatcherStats, StatsCollector } from "./stats.js";
import { Term } from "./term.js";

/** Wait before a replica that leads tries again to take over after the takeover failed, in ms. */
export const TAKEOVER_RETRY_MS = 1000;

/**
 * The task dispatcher. Every replica runs one; only the one whose `leadership` leads works, in terms
 * (one per fencing token): it takes submissions from `SWARM_TASKS`, keeps one record per task in the
 * Store, allocates, awards, follows reports, retries, expires, cancels and dead-letters. Losing
 * leadership stops it at once; the next leader resumes from the records.
 *
 * **Wire contract** (subjects from `subjects.*`; every payload an Envelope):
 * - Submit: `Task` on `taskSubmit()` into the stream `SWARM_TASKS`, `msgId` = task id (`TaskClient`).
 * - Award: request on `agentTaskAward(agentId)`, `Award { taskId, agentId, fencingToken, coordinatorId,
 *   attempt, deadlineMs, task }`, within `acceptTimeoutMs`; the agent answers `TaskResult { state:
 *   ACCEPTED | REJECTED, error }`. Silence, E_NO_RESPONDERS, REJECTED (e.g. E_FENCED from a
 *   `TokenFence`: the token is older than one it has seen) or an `Error` answer fail the attempt;
 *   silence does not once a report of that attempt (ACCEPTED, PROGRESS) came: the agent has it.
 * - Offers (auction): `TaskOffer` on `agentTaskOffer(agentId)`, `Bid`s on `taskBid(taskId)` (./auction).
 * - Status: agents request on `taskStatus(taskId)` with `TaskResult { state: ACCEPTED | PROGRESS |
 *   SUCCEEDED | FAILED, agentId, attempt, fencingToken, result, error }`; the leader answers the
 *   task's `TaskInfo` (the ack). A report for another attempt than the current one, or from another
 *   agent than the assignee, is ignored but acked; one that names no agent is refused (E_INVALID).
 *   Agents must retry a final report (SUCCEEDED / FAILED) until it is acked: during a failover
 *   nobody answers (E_NO_RESPONDERS, E_TIMEOUT) for up to a lease. An agent should report ACCEPTED
 *   (or PROGRESS) on this subject too right after accepting: the award's answer dies with a leader
 *   that fails, and the report is what the next leader sees (otherwise it re-awards after
 *   `acceptTimeoutMs`).
 * - Cancel: request `TaskCancel` on `taskCancel(taskId)` → `TaskInfo` (CANCELLED); the agent running
 *   it gets `TaskCancel` on `agentTaskCancel(agentId)` (a publish), as it does when the deadline
 *   passes or an award went unanswered (and no report of it came). Agents ignore a cancel for a
 *   task they do not run.
 * - Get / list: requests on `taskGet(taskId)` → `TaskInfo`; `taskList()` with `TaskQuery` →
 *   `TaskList` (unfinished tasks and the last `recentLimit` finished ones, newest first).
 *   Failures answer an `Error` Envelope (`E_NOT_FOUND`, `E_INVALID`, `E_OVERFLOW`).
 * - Events: every transition publishes the `TaskInfo` on `taskEvents(taskId)`; a failed attempt
 *   publishes `FAILED` (never stored) before `QUEUED` or `DEAD_LETTERED`, and a report past ACCEPTED
 *   that comes before the award's answer publishes the `ACCEPTED` it implies first (the answer
 *   then changes nothing). Events of one step share their `updatedMs`.
 * - Dead letters: the `TaskInfo`, `reason` saying why, on `deadLetter("tasks")` (stream `SWARM_DLQ`).
 * - Records: `kvKeys.task(id)` = FencedStore header (the writer's token) + encoded `TaskInfo`.
 *   ACCEPTED and PROGRESS are the leader's memory and events only: the stored record says AWARDED
 *   until the attempt ends (a new leader re-sends that award as the same attempt; the agent running
 *   it answers ACCEPTED again). `get` and `list` answer from the leader's memory.
 *
 * **Allocation.** Waiting tasks are served by priority (higher first), then age. `queue`: among
 * capable online agents (capabilities and attributes) with a free credit, the least loaded
 * (held / credits), then the nearest to the task's position. `direct`: the target, if capable,
 * online and free; otherwise the task waits (until its deadline). `auction`: `runAuction` among
 * capable agents with a free credit; the cheapest bidder wins if it still has a free credit, else
 * (or when nobody bids) `queue`; several auction tasks waiting together are auctioned as one batch
 * (`runBatchAuction`: the bids allocated for the least total cost, within free credits). A task holds one credit of its agent from the moment it is chosen
 * until its attempt ends, so **no agent is ever given more tasks than its credits** — as far as
 * this leader's records go: an agent still finishing a task the dispatcher has given up on (expired,
 * cancelled, timed out) may run one more until it sees the cancel; agents refuse awards beyond their
 * own credits (REJECTED), which costs an attempt.
 *
 * **Retries.** A failed attempt goes back to QUEUED with `not_before_ms = now + min(maxBackoffMs,
 * baseBackoffMs · 2^(attempt − 1))` plus jitter; after the task's `max_attempts` (or `maxAttempts`)
 * it is DEAD_LETTERED. An attempt fails on a FAILED report, a refused award, an unanswered one
 * (unless the agent reported the attempt), or its agent going offline.
 *
 * **Guarantees.**
 * - *At-least-once intake*: a submission the stream acknowledged becomes a task record, across
 *   crashes and failovers (the record is written before the stream message is acked; a redelivery
 *   finds the record and is dropped).
 * - *Exactly one task per id*: the id is the idempotency key's (or a ULID); a record, once it exists,
 *   is never created again, so a key resubmitted at any time, inside the stream's duplicate window
 *   or long after, names the same task and never runs it again. (Unless `finishedRecordTtlMs` let
 *   the record go.)
 * - *At-least-once execution*: an attempt whose fate is unknown (no answer to the award, a failover,
 *   the agent vanished) is retried, so an agent may start a task that another attempt also ran.
 *   Every award names its attempt; reports for any other attempt are ignored, so **a task's outcome
 *   is recorded exactly once**: one SUCCEEDED (or one other final state). An *exactly-once effect*
 *   needs the agent's side effects to be idempotent by task id (an agent that has done `task.id`
 *   reports SUCCEEDED again instead of redoing it).
 * - *At-most-once events* (task events are plain publishes); *at-least-once dead letters* (published
 *   before the record, `msgId` = `dlq-{id}`).
 * - *Fencing*: every record write goes through a `FencedStore` pinned to the term's token, and the
 *   term rewrites every unfinished record under its token when it takes over; a deposed leader's
 *   writes are refused (E_FENCED) and it stops. Every award carries the token, so an agent using a
 *   `TokenFence` refuses awards from a leader older than one it has heard from. Fencing protects the
 *   records and the agents from a leader that lost its lease (paused, partitioned); it does not stop
 *   an agent from finishing work it was already given.
 *
 * @example
 * ```ts
 * const leadership = elect(store, "dispatcher", nodeId, { leaseMs: 2000, renewMs: 500 });
 * const dispatcher = new Dispatcher({ bus, store, directory, leadership, coordinatorId: nodeId });
 * await dispatcher.start(); // works whenever this node leads
 * // ...
 * await dispatcher.stop();
 * await leadership.close();
 * ```
 */
export class Dispatcher {
  #o: ParsedDispatcherOptions;
  #stats = new StatsCollector();
  #term: Term | undefined;
  #queue: Promise<void> = Promise.resolve();
  #off: (() => void) | undefined;
  #started = false;
  /** Terms up to this token were fenced: never start them again. */
  #fencedToken = 0;
  #retry: TimerHandle | undefined;

  /** @throws SwarmError `E_CONFIG` naming the field for bad options. */
  constructor(opts: DispatcherOptions) {
    this.#o = parseDispatcherOptions(opts);
  }

  /** Follows the leadership from now on; resolves once the current state is acted on. */
  async start(): Promise<void> {
    if (this.#started) return this.#queue;
    this.#started = true;
    this.#off = this.#o.leadership.onChange(() => this.#follow());
    this.#follow();
    await this.#queue;
  }

  /** Stops working (if leading) and stops following the leadership; closes nothing it was given. */
  async stop(): Promise<void> {
    this.#started = false;
    this.#off?.();
    this.#off = undefined;
    if (this.#retry !== undefined) this.#o.clock.clearTimeout(this.#retry);
    this.#retry = undefined;
    this.#term?.halt();
    this.#follow();
    await this.#queue;
  }

  /** Whether this replica leads and has taken over the task records. */
  get leading(): boolean {
    return this.#term?.ready === true;
  }

  stats(): DispatcherStats {
    const s = this.#stats;
    const term = this.#term?.ready ? this.#term : undefined;
    const tasksByState: Record<string, number> = {};
    for (const r of term?.table.active() ?? []) {
      const name = taskStateName(r.state);
      tasksByState[name] = (tasksByState[name] ?? 0) + 1;
    }
    return {
      leading: term !== undefined,
      token: term?.token,
      tasksByState,
      finished: { ...s.finished },
      submitted: s.submitted,
      duplicates: s.duplicates,
      malformed: s.malformed,
      malformedRequests: s.malformedRequests,
      awards: s.awards,
      retries: s.retries,
      deadLetters: s.deadLetters,
      auctions: s.auctions,
      auctionFallbacks: s.auctionFallbacks,
      batchAuctions: s.batchAuctions,
      terms: s.terms,
      fenced: s.fenced,
      loads: Object.fromEntries(term?.credits.loads() ?? []),
      dispatchLatencyMs: s.latencies(),
    };
  }

  #follow(): void {
    const l = this.#o.leadership;
    const token = l.isLeader ? l.token : undefined;
    // Stop at once, not after whatever the queue is doing: a term must not outlive its lease.
    if (this.#term && (token !== this.#term.token || !this.#started)) this.#term.halt();
    this.#queue = this.#queue.then(() => this.#switch());
  }

  async #switch(): Promise<void> {
    const l = this.#o.leadership;
    const current = this.#started && l.isLeader ? l.token : undefined;
    const want = current !== undefined && current > this.#fencedToken ? current : undefined;
    const term = this.#term;
    if (term && term.token === want && !term.signal.aborted) return;
    if (term) {
      await term.stop();
      this.#term = undefined;
    }
    if (want === undefined) return;
    const next = new Term(this.#o, want, this.#stats, () => {
      this.#fencedToken = Math.max(this.#fencedToken, want);
      this.#follow();
    });
    this.#term = next;
    this.#stats.terms++;
    try {
      await next.start();
    } catch (err) {
      await next.stop();
      if (this.#term === next) this.#term = undefined;
      if (isSwarmError(err, "E_FENCED")) {
        this.#stats.fenced++;
        this.#fencedToken = Math.max(this.#fencedToken, want);
      }
      this.#o.log.warn({ err, token: want }, "dispatcher takeover failed; trying again");
      this.#scheduleRetry();
    }
  }

  #scheduleRetry(): void {
    if (!this.#started || this.#retry !== undefined) return;
    this.#retry = this.#o.clock.setTimeout(() => {
      this.#retry = undefined;
      this.#follow();
    }, TAKEOVER_RETRY_MS);
  }
}
