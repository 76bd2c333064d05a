import type { Bid } from "@swarmlink/protocol";
import type { BidRejection } from "./wire.js";

/** True when bid `a` loses to bid `b`: higher cost, or the same cost and the higher agent id. */
export function worse(a: Pick<Bid, "cost" | "agentId">, b: Pick<Bid, "cost" | "agentId">): boolean {
  return a.cost > b.cost || (a.cost === b.cost && a.agentId > b.agentId);
}

/**
 * The bids of one auction: one per invited agent, at most `maxBids` held. When full, the costliest
 * held bid gives way to a cheaper newcomer (overflow policy: keep the cheapest), so the best bid is
 * never lost; the bids that go are counted in `dropped`. Held bids sit in a binary heap with the
 * worst on top, so each bid costs O(log maxBids).
 */
export class BidBook {
  readonly #candidates: ReadonlySet<string>;
  readonly #bidders = new Set<string>();
  readonly #heap: Bid[] = [];
  readonly #maxBids: number;
  readonly #rejected: Record<BidRejection, number> = {
    malformed: 0,
    task: 0,
    uninvited: 0,
    round: 0,
    cost: 0,
    duplicate: 0,
  };
  #dropped = 0;

  constructor(candidates: Iterable<string>, maxBids: number) {
    this.#candidates = new Set(candidates);
    this.#maxBids = maxBids;
  }

  /** Whether `agentId` was asked to bid. */
  invited(agentId: string): boolean {
    return this.#candidates.has(agentId);
  }

  /** Offers a bid already checked by `readBid`; returns why it does not count, if it does not. */
  add(bid: Bid): BidRejection | undefined {
    if (!this.#candidates.has(bid.agentId)) return this.reject("uninvited");
    if (this.#bidders.has(bid.agentId)) return this.reject("duplicate");
    this.#bidders.add(bid.agentId);
    const heap = this.#heap;
    if (heap.length < this.#maxBids) {
      heap.push(bid);
      this.#up(heap.length - 1);
    } else if (worse(heap[0]!, bid)) {
      heap[0] = bid;
      this.#down(0);
      this.#dropped++;
    } else {
      this.#dropped++;
    }
    return undefined;
  }

  /** Counts a message that did not count as a bid. */
  reject(reason: BidRejection): BidRejection {
    this.#rejected[reason]++;
    return reason;
  }

  /** Every invited agent has bid: nothing more can change the outcome. */
  get complete(): boolean {
    return this.#bidders.size === this.#candidates.size;
  }

  /** Valid bids not held because `maxBids` was reached. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Messages refused, by reason. */
  rejected(): Record<BidRejection, number> {
    return { ...this.#rejected };
  }

  /** Messages refused, all reasons together. */
  get invalid(): number {
    let n = 0;
    for (const v of Object.values(this.#rejected)) n += v;
    return n;
  }

  /** Held bids, best first: lowest cost, ties to the lower agent id. */
  sorted(): Bid[] {
    return [...this.#heap].sort((a, b) => (worse(a, b) ? 1 : worse(b, a) ? -1 : 0));
  }

  #up(i: number): void {
    const heap = this.#heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!worse(heap[i]!, heap[parent]!)) return;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }

  #down(i: number): void {
    const heap = this.#heap;
    for (;;) {
      const left = 2 * i + 1;
      const right = left + 1;
      let top = i;
      if (left < heap.length && worse(heap[left]!, heap[top]!)) top = left;
      if (right < heap.length && worse(heap[right]!, heap[top]!)) top = right;
      if (top === i) return;
      [heap[i], heap[top]] = [heap[top]!, heap[i]!];
      i = top;
    }
  }
}
