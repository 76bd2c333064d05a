import {
  DeliverPolicy,
  type JetStreamClient,
  type JsMsg,
  type OrderedPushConsumerOptions,
} from "@nats-io/jetstream";
import type { RawMsg } from "./codec.js";

/** Where a tap starts: the last message of every key (a snapshot), only new ones, or a revision. */
export type TapStart = "last-per-key" | "new" | { fromRevision: number };

export interface TapOptions {
  js: JetStreamClient;
  stream: string;
  /** A subject filter: `$KV.<bucket>.>` or `$KV.<bucket>.<prefix>>`. */
  filter: string;
  start: TapStart;
  /** Deliver headers and no values (key listings, the lease index). */
  headersOnly?: boolean;
  /** `initial` is true for the messages pending when the consumer was made (the snapshot). */
  onMsg: (m: RawMsg, initial: boolean) => void;
  /** The consumer ended without `stop()`: the connection closed or the stream went away. */
  onEnd: (err: Error | undefined) => void;
}

export interface Tap {
  /** Resolves once the messages pending at the start are delivered; rejects if the tap ends first. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * An ordered push consumer on the bucket's stream (what `kv.watch()` uses, built here so the
 * messages keep their headers and server timestamps). Ordered consumers recreate themselves after a
 * gap or a reconnect, resuming after the last sequence delivered.
 */
export async function openTap(o: TapOptions): Promise<Tap> {
  const opts: Partial<OrderedPushConsumerOptions> = {
    filter_subjects: o.filter,
    headers_only: o.headersOnly ?? false,
  };
  if (o.start === "last-per-key") opts.deliver_policy = DeliverPolicy.LastPerSubject;
  else if (o.start === "new") opts.deliver_policy = DeliverPolicy.New;
  else {
    opts.deliver_policy = DeliverPolicy.StartSequence;
    opts.opt_start_seq = o.start.fromRevision;
  }
  const consumer = await o.js.consumers.getPushConsumer(o.stream, opts);
  let left = (await consumer.info(true)).num_pending;
  let stopped = false;
  let onReady!: () => void;
  let onFail!: (err: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    onReady = resolve;
    onFail = reject;
  });
  ready.catch(() => {}); // also reported through onEnd
  if (left === 0) onReady();
  const messages = await consumer.consume({
    callback: (m: JsMsg) => {
      const initial = left > 0;
      if (initial) left--;
      o.onMsg(toRaw(m), initial);
      if (initial && left === 0) onReady();
    },
  });
  const ended = (err: Error | undefined) => {
    if (stopped) return;
    onFail(err ?? new Error("the consumer ended"));
    o.onEnd(err);
  };
  messages.closed().then(
    (err) => ended(err ?? undefined),
    (err: unknown) => ended(err instanceof Error ? err : new Error(String(err))),
  );
  return {
    ready,
    async stop() {
      stopped = true;
      onFail(new Error("the tap stopped"));
      await messages.close().catch(() => undefined);
    },
  };
}

function toRaw(m: JsMsg): RawMsg {
  return { subject: m.subject, seq: m.seq, headers: m.headers, data: m.data, timeMs: m.time.getTime() };
}
