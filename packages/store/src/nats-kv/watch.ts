import type { JetStreamClient } from "@nats-io/jetstream";
import { SwarmError } from "@swarmlink/protocol";
import { ChangeFeed } from "../feed.js";
import type { WatchOptions } from "../types.js";
import { isLive, toChange, toRecord } from "./codec.js";
import { fromNats } from "./errors.js";
import { openTap, type Tap, type TapStart } from "./tap.js";

export interface WatchDeps {
  js: JetStreamClient;
  stream: string;
  subjectPrefix: string;
  limit: number;
  now: () => number;
}

/**
 * One watch = one ordered consumer on `$KV.<bucket>.<prefix>>`: from the last message per key
 * (`initial`, where removed and expired keys are left out of the snapshot), from a revision
 * (`fromRevision`: what the bucket's per-key history still holds), or from new messages only.
 */
export function openWatch(deps: WatchDeps, prefix: string, opts: WatchOptions): ChangeFeed {
  let tap: Tap | undefined;
  const feed = new ChangeFeed({ limit: deps.limit, signal: opts.signal, dispose: () => tap?.stop() });
  let start: TapStart = "new";
  const from = opts.fromRevision ?? 0;
  if (opts.initial) start = "last-per-key";
  else if (opts.fromRevision !== undefined) start = { fromRevision: opts.fromRevision };
  openTap({
    js: deps.js,
    stream: deps.stream,
    filter: `${deps.subjectPrefix}${prefix}>`,
    start,
    onMsg: (m, initial) => {
      const r = toRecord(m, deps.subjectPrefix);
      // JetStream starts a consumer asked for a sequence past the end at the end: filter here.
      if (r.revision < from) return;
      if (!(opts.initial && initial) || isLive(r, deps.now())) feed.push(toChange(r));
    },
    onEnd: (err) =>
      feed.fail(err ? fromNats(err) : new SwarmError("E_UNAVAILABLE", "the watch's consumer ended")),
  })
    .then(async (t) => {
      tap = t;
      if (!feed.active) return t.stop();
      await t.ready;
      feed.ready();
    })
    .catch((err: unknown) => feed.fail(fromNats(err, { during: "watch" })));
  return feed;
}
