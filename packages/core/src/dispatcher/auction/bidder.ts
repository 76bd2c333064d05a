import { type Clock, subjects, systemClock, type Task, type TaskOffer } from "@swarmlink/protocol";
import type { Bus, Subscription } from "@swarmlink/transport";
import { encodeBid, readOffer } from "./wire.js";

/** Prices a task for one agent: a finite cost ≥ 0 to bid, undefined to stay out of the auction. */
export type PriceFn = (task: Task, offer: TaskOffer) => number | undefined;

/** Options of {@link answerOffers}. */
export interface BidderOptions {
  /** Unsubscribes when it fires. */
  signal?: AbortSignal;
  /** Tells whether an offer's deadline has passed (then no bid is sent). @default systemClock */
  clock?: Clock;
  /** Largest offer Envelope read, in bytes; bigger ones are ignored. @default 1 MiB */
  maxOfferBytes?: number;
  /** Called with each offer that could not be read (it is otherwise ignored). */
  onInvalid?: (err: unknown) => void;
}

/**
 * The agent side of the auction in one call: subscribes the agent's offer subject and answers every
 * readable offer whose deadline has not passed with a bid at the price `price` gives, on
 * `subjects.taskBid(taskId)`. For agents on the Bus directly and for simulations; the SDK and the
 * MQTT gateway speak the same contract (see `runAuction`).
 *
 * @example
 * ```ts
 * const sub = answerOffers(bus, "amr-07", (task) => distance(me, task.position) / speedMps);
 * // …later
 * sub.unsubscribe();
 * ```
 */
export function answerOffers(
  bus: Bus,
  agentId: string,
  price: PriceFn,
  opts: BidderOptions = {},
): Subscription {
  const clock = opts.clock ?? systemClock;
  const maxBytes = opts.maxOfferBytes;
  return bus.subscribe(subjects.agentTaskOffer(agentId), {
    signal: opts.signal,
    callback: (_err, msg) => {
      try {
        const received = readOffer(msg.data, maxBytes === undefined ? {} : { maxBytes });
        if (received.offer.bidDeadlineMs > 0 && clock.now() >= received.offer.bidDeadlineMs) return;
        const cost = price(received.task, received.offer);
        if (cost === undefined || !Number.isFinite(cost) || cost < 0) return;
        bus.publish(subjects.taskBid(received.task.id), encodeBid(received, agentId, cost, clock));
      } catch (err) {
        opts.onInvalid?.(err);
      }
    },
  });
}
