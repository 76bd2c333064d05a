import { SwarmError } from "@swarmlink/protocol";
import type { Redis } from "ioredis";
import { ChangeFeed } from "../feed.js";
import type { Change, WatchOptions } from "../types.js";
import { fromRedis } from "./errors.js";
import type { Layout } from "./layout.js";
import { scripts } from "./scripts.js";
import { type ChangeTail, READ_BATCH, type TailSubscriber, toChange } from "./tail.js";

export interface WatchDeps {
  main: Redis;
  /** The tail of `stream`. */
  tail: ChangeTail;
  /** The change stream this watch reads (`Layout.changesOf`). */
  stream: string;
  layout: Layout;
  limit: number;
}

/**
 * One watch: joins the live tail first, then reads what came before (a snapshot or an XRANGE replay)
 * while the tail's changes wait in a buffer; the buffer then drains, skipping what the catch-up
 * already covered, and the watch is live. No change falls between the two.
 */
class Subscription implements TailSubscriber {
  readonly feed: ChangeFeed;
  #prefix: string;
  #limit: number;
  #pending: Change[] | undefined = [];
  #floor = 0;

  constructor(prefix: string, feed: ChangeFeed, limit: number) {
    this.#prefix = prefix;
    this.feed = feed;
    this.#limit = limit;
  }

  deliver(change: Change): void {
    if (!change.key.startsWith(this.#prefix)) return;
    if (!this.#pending) {
      if (change.revision > this.#floor) this.feed.push(change);
    } else if (this.#pending.push(change) > this.#limit) {
      this.fail(new SwarmError("E_OVERFLOW", "too many changes arrived while the watch caught up"));
    }
  }

  /** A change from the catch-up phase. */
  replay(change: Change): void {
    if (!change.key.startsWith(this.#prefix)) return;
    this.#floor = Math.max(this.#floor, change.revision);
    this.feed.push(change);
  }

  /** Ends the catch-up: changes up to `floor` are covered, the rest flow live. */
  goLive(floor: number): void {
    this.#floor = Math.max(this.#floor, floor);
    const pending = this.#pending ?? [];
    this.#pending = undefined;
    for (const c of pending) if (c.revision > this.#floor) this.feed.push(c);
    this.feed.ready();
  }

  fail(err: SwarmError): void {
    this.feed.fail(err);
  }
}

export function openWatch(deps: WatchDeps, prefix: string, opts: WatchOptions): ChangeFeed {
  let sub: Subscription | undefined;
  const feed = new ChangeFeed({
    limit: deps.limit,
    signal: opts.signal,
    dispose: () => {
      if (sub) deps.tail.leave(sub);
    },
  });
  sub = new Subscription(prefix, feed, deps.limit);
  catchUp(deps, sub, prefix, opts).catch((err: unknown) => feed.fail(fromRedis(err, { during: "watch" })));
  return feed;
}

async function catchUp(
  deps: WatchDeps,
  sub: Subscription,
  prefix: string,
  opts: WatchOptions,
): Promise<void> {
  const joinedAt = await deps.tail.join(sub);
  if (!sub.feed.active) return deps.tail.leave(sub);
  if (opts.initial) return sub.goLive(await snapshot(deps, sub, prefix));
  if (opts.fromRevision === undefined) return sub.goLive(joinedAt);
  let from = opts.fromRevision;
  for (;;) {
    const batch = await deps.main.xrangeBuffer(deps.stream, String(from), "+", "COUNT", READ_BATCH);
    for (const entry of batch) {
      const c = toChange(entry);
      if (c) sub.replay(c);
      if (c) from = c.revision + 1;
    }
    if (batch.length < READ_BATCH || !sub.feed.active) break;
  }
  sub.goLive(opts.fromRevision - 1);
}

/** Queues the live entries under `prefix` in revision order; returns the revision they are at. */
async function snapshot(deps: WatchDeps, sub: Subscription, prefix: string): Promise<number> {
  const reply = (await scripts.snapshot.run(
    deps.main,
    deps.layout.shared,
    [prefix, deps.layout.valuePrefix],
    true,
  )) as unknown[];
  const entries: Change[] = [];
  for (let i = 1; i + 2 < reply.length; i += 3) {
    const value = new Uint8Array(reply[i + 1] as Buffer);
    entries.push({ key: String(reply[i]), op: "put", value, revision: Number(reply[i + 2]) });
  }
  for (const c of entries.sort((a, b) => a.revision - b.revision)) sub.replay(c);
  return Number(reply[0]);
}
