import {
  AckPolicy,
  type ConsumerMessages,
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  jetstream,
  jetstreamManager,
  type Consumer as NatsConsumer,
  type StreamInfo as NatsStreamInfo,
  PubHeaders,
  RetentionPolicy,
  StorageType,
} from "@nats-io/jetstream";
import { type MsgHdrs, type NatsConnection, nanos, headers as natsHeaders } from "@nats-io/transport-node";
import { abortError, isSwarmError, SwarmError } from "@swarmlink/protocol";
import { checkSubject } from "../subject.js";
import type {
  ConsumeOptions,
  Consumer,
  ConsumerConfig,
  ConsumerInfo,
  FetchOptions,
  Headers,
  MessageStream,
  PubAck,
  StreamConfig,
  StreamInfo,
  StreamMsg,
  StreamPublishOptions,
  Streams,
} from "../types.js";
import { fromNats, jetStreamCode } from "./errors.js";
import { fromNatsHeaders, toNatsHeaders } from "./msg.js";
import type { NatsReplies } from "./replies.js";

/** JetStream refuses pull requests that expire sooner than this. */
const MIN_FETCH_EXPIRES_MS = 1000;

/** Durable streams on JetStream. */
export class NatsStreams implements Streams {
  #nc: NatsConnection;
  #js: JetStreamClient;
  #jsm: Promise<JetStreamManager> | undefined;
  #termReasons: boolean;
  #replies: NatsReplies;

  constructor(nc: NatsConnection, replies: NatsReplies) {
    this.#nc = nc;
    this.#replies = replies;
    this.#js = jetstream(nc);
    // Servers before 2.10.4 do not parse `+TERM <reason>` and treat it as no ack at all.
    this.#termReasons = versionAtLeast(nc.info?.version ?? "0.0.0", [2, 10, 4]);
  }

  async ensure(config: StreamConfig): Promise<StreamInfo> {
    const jsm = await this.#manager();
    const cfg = {
      name: config.name,
      subjects: config.subjects,
      retention: config.retention === "workqueue" ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
      max_msgs: config.maxMsgs && config.maxMsgs > 0 ? config.maxMsgs : -1,
      max_age: nanos(config.maxAgeMs ?? 0),
      duplicate_window: nanos(config.duplicateWindowMs ?? 120_000),
      num_replicas: config.replicas ?? 1,
      storage: StorageType.File,
    };
    try {
      const exists = await jsm.streams.info(config.name).then(
        () => true,
        (err) => {
          if (fromNats(err).code === "E_NOT_FOUND") return false;
          throw err;
        },
      );
      const info = exists ? await jsm.streams.update(config.name, cfg) : await jsm.streams.add(cfg);
      return toInfo(info);
    } catch (err) {
      throw fromNats(err, { stream: config.name });
    }
  }

  async info(name: string): Promise<StreamInfo> {
    const jsm = await this.#manager();
    try {
      return toInfo(await jsm.streams.info(name));
    } catch (err) {
      throw fromNats(err, { stream: name });
    }
  }

  async delete(name: string): Promise<void> {
    const jsm = await this.#manager();
    try {
      await jsm.streams.delete(name);
    } catch (err) {
      throw fromNats(err, { stream: name });
    }
  }

  /**
   * JetStream's publish-with-ack, sent through the Bus's own request table rather than nats.js's
   * `js.publish`, which answers every request through a path that builds an Error with a stack
   * (`RequestError("cancelled")`) even when it succeeded: most of a busy submitter's cost per task.
   * The server's answer is the same PubAck JSON either way.
   */
  publish(subject: string, data: Uint8Array, opts: StreamPublishOptions = {}): Promise<PubAck> {
    let headers: MsgHdrs | undefined;
    try {
      checkSubject(subject, false);
      if (opts.signal?.aborted) throw abortError(opts.signal);
      headers = toNatsHeaders(opts.headers);
      if (opts.msgId !== undefined) {
        headers ??= natsHeaders();
        headers.set(PubHeaders.MsgIdHdr, opts.msgId);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    // The signal is read before the publish only: once sent, the message may be stored whatever the
    // caller does, so the answer is waited for (up to the timeout) as js.publish did.
    return this.#replies.request(subject, data, headers, opts.timeout ?? 5000, undefined).then(
      (m) => pubAckOf(m.data, subject),
      (err) => {
        // JetStream answers "no responders" when no stream stores the subject.
        if (isSwarmError(err, "E_NO_RESPONDERS")) {
          throw new SwarmError("E_NOT_FOUND", "no stream stores this subject", { subject }, { cause: err });
        }
        throw err;
      },
    );
  }

  async consumer(stream: string, config: ConsumerConfig): Promise<Consumer> {
    const jsm = await this.#manager();
    const cfg = {
      durable_name: config.name,
      ack_policy: AckPolicy.Explicit,
      ack_wait: nanos(config.ackWaitMs ?? 30_000),
      max_ack_pending: config.maxInFlight ?? 1000,
      max_deliver: config.maxDeliver ?? -1,
      filter_subject: config.filterSubject,
      deliver_policy: config.deliverPolicy === "new" ? DeliverPolicy.New : DeliverPolicy.All,
    };
    try {
      const existing = await jsm.consumers.info(stream, config.name).catch((err) => {
        if (fromNats(err).code === "E_NOT_FOUND") return undefined;
        throw err;
      });
      if (!existing) await jsm.consumers.add(stream, cfg);
      else {
        const { ack_wait, max_ack_pending, max_deliver } = cfg;
        await jsm.consumers.update(stream, config.name, { ack_wait, max_ack_pending, max_deliver });
      }
      const c = await this.#js.consumers.get(stream, config.name);
      return new JsConsumer(c, stream, config.name, this.#termReasons);
    } catch (err) {
      throw fromNats(err, { stream, consumer: config.name });
    }
  }

  async deleteConsumer(stream: string, name: string): Promise<void> {
    const jsm = await this.#manager();
    try {
      await jsm.consumers.delete(stream, name);
    } catch (err) {
      throw fromNats(err, { stream, consumer: name });
    }
  }

  #manager(): Promise<JetStreamManager> {
    this.#jsm ??= jetstreamManager(this.#nc).catch((err) => {
      this.#jsm = undefined;
      throw fromNats(err);
    });
    return this.#jsm;
  }
}

function versionAtLeast(version: string, min: [number, number, number]): boolean {
  const v = version.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < 3; i++) {
    if ((v[i] ?? 0) !== min[i]) return (v[i] ?? 0) > min[i]!;
  }
  return true;
}

function toInfo(i: NatsStreamInfo): StreamInfo {
  return {
    name: i.config.name,
    messages: i.state.messages,
    firstSeq: i.state.first_seq,
    lastSeq: i.state.last_seq,
  };
}

class JsStreamMsg implements StreamMsg {
  #m: JsMsg;
  #headers: Headers | undefined | null = null;
  #termReasons: boolean;

  constructor(m: JsMsg, termReasons: boolean) {
    this.#m = m;
    this.#termReasons = termReasons;
  }
  get subject(): string {
    return this.#m.subject;
  }
  get data(): Uint8Array {
    return this.#m.data;
  }
  get headers(): Headers | undefined {
    if (this.#headers === null) this.#headers = fromNatsHeaders(this.#m.headers);
    return this.#headers;
  }
  get stream(): string {
    return this.#m.info.stream;
  }
  get seq(): number {
    return this.#m.seq;
  }
  get deliveryCount(): number {
    return this.#m.info.deliveryCount;
  }
  ack(): void {
    this.#m.ack();
  }
  nak(delayMs?: number): void {
    this.#m.nak(delayMs);
  }
  term(reason?: string): void {
    this.#m.term(this.#termReasons ? reason : undefined);
  }
  working(): void {
    this.#m.working();
  }
}

class JsConsumer implements Consumer {
  readonly stream: string;
  readonly name: string;
  #c: NatsConsumer;
  #termReasons: boolean;

  constructor(c: NatsConsumer, stream: string, name: string, termReasons: boolean) {
    this.#c = c;
    this.stream = stream;
    this.name = name;
    this.#termReasons = termReasons;
  }

  async fetch(opts: FetchOptions = {}): Promise<StreamMsg[]> {
    const { signal } = opts;
    if (signal?.aborted) throw abortError(signal);
    let iter: ConsumerMessages;
    try {
      iter = await this.#c.fetch({
        max_messages: opts.batch ?? 100,
        expires: Math.max(MIN_FETCH_EXPIRES_MS, opts.expiresMs ?? MIN_FETCH_EXPIRES_MS),
      });
    } catch (err) {
      throw fromNats(err, { stream: this.stream, consumer: this.name });
    }
    const onAbort = () => iter.stop();
    signal?.addEventListener("abort", onAbort, { once: true });
    const out: StreamMsg[] = [];
    try {
      for await (const m of iter) out.push(new JsStreamMsg(m, this.#termReasons));
    } catch (err) {
      throw fromNats(err, { stream: this.stream, consumer: this.name });
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
    if (signal?.aborted) throw abortError(signal);
    return out;
  }

  consume(opts: ConsumeOptions = {}): MessageStream {
    return new JsMessageStream(this.#c, opts, this.#termReasons);
  }

  async info(): Promise<ConsumerInfo> {
    try {
      const i = await this.#c.info(false);
      return { pending: i.num_pending, ackPending: i.num_ack_pending, redelivered: i.num_redelivered };
    } catch (err) {
      throw fromNats(err, { stream: this.stream, consumer: this.name });
    }
  }
}

class JsMessageStream implements MessageStream {
  readonly closed: Promise<void>;
  #iter: Promise<ConsumerMessages>;
  #stopped = false;
  #termReasons: boolean;

  constructor(c: NatsConsumer, opts: ConsumeOptions, termReasons: boolean) {
    this.#termReasons = termReasons;
    this.#iter = c.consume({ max_messages: opts.maxMessages ?? 100 });
    this.#iter.catch(() => {});
    this.closed = this.#iter.then(
      (it) => it.closed().then(() => undefined),
      () => undefined,
    );
    if (opts.signal?.aborted) this.stop();
    else opts.signal?.addEventListener("abort", () => this.stop(), { once: true });
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    void this.#iter.then((it) => it.stop()).catch(() => {});
  }

  async *[Symbol.asyncIterator](): AsyncIterator<StreamMsg> {
    let it: ConsumerMessages;
    try {
      it = await this.#iter;
    } catch (err) {
      throw fromNats(err);
    }
    if (this.#stopped) it.stop();
    try {
      for await (const m of it) yield new JsStreamMsg(m, this.#termReasons);
    } finally {
      this.stop();
    }
  }
}

/** The server's answer to a publish: `{stream, seq, duplicate?}`, or `{error: {err_code, description}}`. */
function pubAckOf(data: Uint8Array, subject: string): PubAck {
  let a: {
    stream?: unknown;
    seq?: unknown;
    duplicate?: unknown;
    error?: { err_code?: number; code?: number; description?: string };
  };
  try {
    a = JSON.parse(Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString("utf8"));
  } catch (err) {
    throw new SwarmError("E_DECODE", "the publish ack is not JSON", { subject }, { cause: err });
  }
  if (a.error) {
    const { err_code: errCode = 0, code = 0, description = "publish refused" } = a.error;
    throw new SwarmError(jetStreamCode(errCode), description, { subject, errCode, status: code });
  }
  if (typeof a.stream !== "string" || a.stream === "" || typeof a.seq !== "number") {
    throw new SwarmError("E_DECODE", "the publish ack names no stream and sequence", { subject });
  }
  return { stream: a.stream, seq: a.seq, duplicate: a.duplicate === true };
}
