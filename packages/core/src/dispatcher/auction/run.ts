import { abortError, type Bid, SwarmError, subjects, toSwarmError } from "@swarmlink/protocol";
import type { Msg, Subscription } from "@swarmlink/transport";
import { BidBook } from "./bid-book.js";
import { type AuctionOptions, type ParsedAuctionOptions, parseAuctionOptions } from "./options.js";
import { type BidRejection, encodeOffer, readBid } from "./wire.js";

/** Why an auction ended. */
export type AuctionClose =
  /** Every candidate bid before the window closed. */
  | "all-bid"
  /** The bid window ran out. */
  | "window"
  /** There was nobody to ask. */
  | "no-candidates";

/** The outcome of {@link runAuction}. */
export interface AuctionResult {
  /** The agent with the lowest bid (ties: the lower id), or undefined when nobody bid in time. */
  winner?: string;
  /** The winning bid's cost. */
  cost?: number;
  /** The bids held, best first; the runners-up are the fallbacks if the winner refuses. */
  bids: Bid[];
  /** Bids from invited agents that arrived once the window had closed; they do not count. */
  late: number;
  /** Messages on the bid subject that were no valid bid (the sum of `rejected`). */
  invalid: number;
  /** `invalid`, by reason. */
  rejected: Record<BidRejection, number>;
  /** Valid bids not held because `maxBids` was reached (the costliest give way). */
  dropped: number;
  closedBy: AuctionClose;
  /** Round the auction ran. */
  round: number;
  /** From the start to the close, in ms by the auction's clock. */
  durationMs: number;
}

/**
 * Runs one contract-net auction for one task: a call for bids to every candidate, one bid window,
 * an award decision. The caller makes the award (with its fencing token); this function only picks.
 *
 * Wire contract (the SDK and the MQTT gateway implement the agent side, see `readOffer`/`encodeBid`):
 * 1. The coordinator subscribes `subjects.taskBid(task.id)` before anything is sent, so that no
 *    early bid is missed.
 * 2. It publishes one Envelope of `swarmlink.v1.TaskOffer{task, round, bidDeadlineMs,
 *    coordinatorId}` on `subjects.agentTaskOffer(agentId)` of each candidate. The Envelope's
 *    `source` is the coordinator, `replyTo` the bid subject, `correlationId` the task id, `ttlMs`
 *    the window.
 * 3. An agent that wants the task publishes an Envelope of `swarmlink.v1.Bid{taskId, agentId,
 *    cost, round}` on `subjects.taskBid(taskId)` (`source` = its id, `correlationId` = the offer's
 *    Envelope id); an agent that does not want it stays silent. Nobody replies to a bid.
 *
 * A bid counts only if it decodes, names this task and round, has a finite cost ≥ 0, comes from a
 * candidate, is that agent's first, and arrives before `bidDeadlineMs` by the coordinator's clock.
 * Everything else is counted (`late`, `invalid` by reason) and ignored; bad bytes never throw. The
 * auction closes early once every candidate has bid. Lowest cost wins; equal costs go to the lower
 * agent id (string order), so every replica picks the same winner from the same bids. Only subject
 * permissions keep an agent from bidding in another's name: the Envelope's `source` is not trusted.
 *
 * @throws SwarmError `E_CONFIG` naming a bad option; `E_ABORTED` (or the signal's SwarmError
 * reason) when `signal` fires; `E_CLOSED` when the Bus closes mid-auction; `E_TOO_LARGE`/`E_INVALID`
 * when the task cannot travel in an offer. The bid subscription is released in every case.
 *
 * @example
 * ```ts
 * const { winner, cost, bids } = await runAuction({
 *   bus, task, coordinatorId: "node-1", candidates: ["amr-07", "amr-12"], windowMs: 200,
 * });
 * if (winner === undefined) enqueue(task); // nobody bid: fall back to the queue strategy
 * else award(task, winner, leadership.assertLeader());
 * ```
 */
export function runAuction(opts: AuctionOptions): Promise<AuctionResult> {
  let parsed: ParsedAuctionOptions;
  try {
    parsed = parseAuctionOptions(opts);
  } catch (err) {
    return Promise.reject(err);
  }
  if (parsed.signal?.aborted) return Promise.reject(abortError(parsed.signal));
  return new Auction(parsed).run();
}

/** One auction's state; `run()` is called once. */
class Auction {
  readonly #o: ParsedAuctionOptions;
  readonly #book: BidBook;
  readonly #startMs: number;
  readonly #deadlineMs: number;
  #state: "open" | "closing" | "done" = "open";
  #closedBy: AuctionClose = "window";
  #late = 0;
  #timer: unknown;
  #sub: Subscription | undefined;
  #resolve!: (r: AuctionResult) => void;
  #reject!: (err: SwarmError) => void;

  constructor(o: ParsedAuctionOptions) {
    this.#o = o;
    this.#book = new BidBook(o.candidates, o.maxBids);
    this.#startMs = o.clock.now();
    this.#deadlineMs = this.#startMs + o.windowMs;
  }

  run(): Promise<AuctionResult> {
    const { bus, task, clock, candidates, windowMs, signal } = this.#o;
    if (candidates.length === 0) return Promise.resolve(this.#result("no-candidates"));
    return new Promise<AuctionResult>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
      try {
        const bidSubject = subjects.taskBid(task.id);
        const offer = encodeOffer({
          task,
          round: this.#o.round,
          bidDeadlineMs: this.#deadlineMs,
          coordinatorId: this.#o.coordinatorId,
          bidSubject,
          ttlMs: windowMs,
          clock,
        });
        const sub = bus.subscribe(bidSubject, { callback: (_err, msg) => this.#onMsg(msg) });
        this.#sub = sub;
        void sub.closed.then(() => this.#onSubClosed());
        signal?.addEventListener("abort", this.#onAbort, { once: true });
        this.#timer = clock.setTimeout(() => this.#close("window"), windowMs);
        for (const id of candidates) {
          if (this.#state !== "open") break; // aborted, or the bus closed under us
          bus.publish(subjects.agentTaskOffer(id), offer);
        }
      } catch (err) {
        this.#fail(toSwarmError(err));
      }
    });
  }

  #onMsg(msg: Msg): void {
    if (this.#state === "done") return;
    const { task, round, maxBidBytes, clock } = this.#o;
    const { bid, rejection } = readBid(msg.data, { taskId: task.id, round, maxBytes: maxBidBytes });
    if (rejection !== undefined) {
      this.#book.reject(rejection);
      return;
    }
    if (!this.#book.invited(bid.agentId)) {
      this.#book.reject("uninvited");
      return;
    }
    if (this.#state !== "open" || clock.now() >= this.#deadlineMs) {
      this.#late++;
      this.#close("window"); // the timer is behind (a busy event loop): close now
      return;
    }
    this.#book.add(bid);
    if (this.#book.complete) this.#close("all-bid");
  }

  /** Stops taking bids; the result is handed out once what is already queued has been counted. */
  #close(reason: AuctionClose): void {
    if (this.#state !== "open") return;
    this.#state = "closing";
    this.#closedBy = reason;
    this.#release();
    void this.#sub?.drain();
  }

  #onSubClosed(): void {
    if (this.#state === "closing") {
      this.#state = "done";
      this.#resolve(this.#result(this.#closedBy));
    } else if (this.#state === "open") {
      this.#fail(
        new SwarmError("E_CLOSED", "the bid subscription closed mid-auction", { taskId: this.#o.task.id }),
      );
    }
  }

  readonly #onAbort = (): void => {
    if (this.#state === "open") this.#fail(abortError(this.#o.signal!));
  };

  #fail(err: SwarmError): void {
    if (this.#state === "done") return;
    this.#state = "done";
    this.#release();
    this.#sub?.unsubscribe();
    this.#reject(err);
  }

  #release(): void {
    this.#o.clock.clearTimeout(this.#timer);
    this.#o.signal?.removeEventListener("abort", this.#onAbort);
  }

  #result(closedBy: AuctionClose): AuctionResult {
    const bids = this.#book.sorted();
    return {
      winner: bids[0]?.agentId,
      cost: bids[0]?.cost,
      bids,
      late: this.#late,
      invalid: this.#book.invalid,
      rejected: this.#book.rejected(),
      dropped: this.#book.dropped,
      closedBy,
      round: this.#o.round,
      durationMs: this.#o.clock.now() - this.#startMs,
    };
  }
}
