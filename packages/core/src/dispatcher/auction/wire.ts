/**
 * The auction's messages on the wire, both sides: the coordinator's TaskOffer and the agents' Bid,
 * each the payload of an Envelope. The SDK and the gateways build on the agent-side half.
 *
 * @module
 */
import {
  type Bid,
  type Clock,
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  MAX_PRIORITY,
  SwarmError,
  systemClock,
  type Task,
  type TaskOffer,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";

/** Why a message on a bid subject did not count as a bid (late bids are counted apart). */
export type BidRejection =
  /** Not an Envelope, not a Bid, or too large. */
  | "malformed"
  /** A Bid for another task. */
  | "task"
  /** From an agent that was not invited. */
  | "uninvited"
  /** For another round of this task's auction. */
  | "round"
  /** Cost not a finite number ≥ 0. */
  | "cost"
  /** A second bid from the same agent; the first counts. */
  | "duplicate";

/** Every {@link BidRejection}, for counters and metrics labels. */
export const BID_REJECTIONS: readonly BidRejection[] = Object.freeze([
  "malformed",
  "task",
  "uninvited",
  "round",
  "cost",
  "duplicate",
]);

/** What a bid was checked against. */
export interface BidExpectation {
  taskId: string;
  round: number;
  maxBytes: number;
}

/**
 * The coordinator side: decodes bytes from a bid subject and checks what a single message can show
 * (type, task, round, cost). Invitation and duplicates are the auction's to check. Never throws.
 */
export function readBid(
  bytes: Uint8Array,
  expect: BidExpectation,
): { bid: Bid; rejection?: undefined } | { bid?: undefined; rejection: BidRejection } {
  let bid: Bid;
  try {
    bid = unwrapAs(decodeEnvelope(bytes, { maxBytes: expect.maxBytes }), "swarmlink.v1.Bid");
  } catch {
    return { rejection: "malformed" };
  }
  if (bid.taskId !== expect.taskId) return { rejection: "task" };
  if (bid.round !== expect.round) return { rejection: "round" };
  if (typeof bid.cost !== "number" || !Number.isFinite(bid.cost) || bid.cost < 0)
    return { rejection: "cost" };
  return { bid };
}

/** What goes into an offer besides the task. */
export interface OfferInit {
  task: Task;
  round: number;
  bidDeadlineMs: number;
  coordinatorId: string;
  /** Subject bids go to; it travels as the Envelope's `replyTo`. */
  bidSubject: string;
  /** The Envelope's TTL: an offer is useless once its window has closed. */
  ttlMs: number;
  clock?: Clock;
}

/**
 * The coordinator side: one encoded offer Envelope, the same bytes for every candidate.
 *
 * @throws SwarmError `E_ENCODE`, `E_INVALID` or `E_TOO_LARGE` when the task cannot travel.
 */
export function encodeOffer(init: OfferInit): Uint8Array {
  const env = wrap(
    "swarmlink.v1.TaskOffer",
    {
      task: init.task,
      round: init.round,
      bidDeadlineMs: init.bidDeadlineMs,
      coordinatorId: init.coordinatorId,
    },
    {
      source: init.coordinatorId,
      replyTo: init.bidSubject,
      correlationId: init.task.id,
      ttlMs: init.ttlMs,
      priority: Math.min(MAX_PRIORITY, init.task.priority ?? 0),
    },
    { clock: init.clock ?? systemClock },
  );
  return encodeEnvelope(env);
}

/** An offer as an agent reads it. */
export interface ReceivedOffer {
  envelope: Envelope;
  offer: TaskOffer;
  /** The offer's task, always present. */
  task: Task;
}

/**
 * The agent side: decodes an offer received on `subjects.agentTaskOffer(agentId)`.
 *
 * @throws SwarmError `E_DECODE`, `E_INVALID`, `E_TOO_LARGE` or `E_UNKNOWN_TYPE` for anything that is
 * not a TaskOffer Envelope carrying a task.
 */
export function readOffer(bytes: Uint8Array, opts: { maxBytes?: number } = {}): ReceivedOffer {
  const envelope = decodeEnvelope(bytes, opts);
  const offer = unwrapAs(envelope, "swarmlink.v1.TaskOffer");
  if (!offer.task) throw new SwarmError("E_INVALID", "an offer must carry its task", { field: "task" });
  // Decoding builds message instances all the way down; the generated type only says "properties".
  return { envelope, offer, task: offer.task as Task };
}

/**
 * The agent side: the encoded Bid Envelope answering `received` at `cost`. Publish it on
 * `subjects.taskBid(received.task.id)` (which is also the offer Envelope's `replyTo`).
 *
 * @throws SwarmError `E_INVALID` when `agentId` is not a valid id or `cost` not a finite number ≥ 0.
 */
export function encodeBid(received: ReceivedOffer, agentId: string, cost: number, clock?: Clock): Uint8Array {
  if (!Number.isFinite(cost) || cost < 0) {
    throw new SwarmError("E_INVALID", "cost must be a finite number ≥ 0", { field: "cost", cost });
  }
  const env = wrap(
    "swarmlink.v1.Bid",
    { taskId: received.task.id, agentId, cost, round: received.offer.round },
    { source: agentId, correlationId: received.envelope.id },
    { clock: clock ?? systemClock },
  );
  return encodeEnvelope(env);
}
