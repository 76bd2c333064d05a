import type { ErrorCode } from "@swarmlink/protocol";

/** Headers travel beside the payload (NATS headers, AMQP properties, MQTT 5 user properties). */
export type Headers = Record<string, string>;

/** What an implementation can and cannot promise; conformance tests read this, never guess. */
export interface BusCapabilities {
  /** Messages survive the process: a restart of the publisher or server loses no acknowledged one. */
  readonly persistent: boolean;
  /** Several processes can share this Bus (false for the in-process memory Bus). */
  readonly distributed: boolean;
  /** Largest payload accepted by `publish`, in bytes. */
  readonly maxPayloadBytes: number;
}

/** A core (fire-and-forget) message as a subscriber sees it. */
export interface Msg {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Headers | undefined;
  /** Where an answer goes, if the sender asked for one. */
  readonly reply: string | undefined;
  /** Answers a request; false when the message had no reply subject. */
  respond(data: Uint8Array, opts?: { headers?: Headers }): boolean;
}

export interface PublishOptions {
  headers?: Headers;
  reply?: string;
}

export interface SubscribeOptions {
  /** Load-share: each message goes to one member of the group. */
  queue?: string;
  /** Unsubscribes when it fires. */
  signal?: AbortSignal;
  /** Unsubscribe by itself after this many messages. */
  max?: number;
  /**
   * Bound on messages waiting in the iterator; the oldest are dropped past it and counted in
   * `dropped` (a slow consumer must not grow memory). @default 65536, 0 disables the bound
   */
  maxPending?: number;
  /** Handle each message in a callback instead of iterating (never both). */
  callback?: (err: Error | undefined, msg: Msg) => void;
}

/** An async iterator of messages; `break` out of the `for await` releases it. */
export interface Subscription extends AsyncIterable<Msg> {
  readonly subject: string;
  /** Messages dropped because the consumer fell more than `maxPending` behind. */
  readonly dropped: number;
  /** Messages delivered so far. */
  readonly received: number;
  unsubscribe(): void;
  /** Delivers what is already queued, then ends. */
  drain(): Promise<void>;
  /** Resolves when the subscription has ended, for whatever reason. */
  readonly closed: Promise<void>;
}

export interface RequestOptions {
  /** Deadline in ms; E_TIMEOUT past it. @default 5000 */
  timeout?: number;
  signal?: AbortSignal;
  headers?: Headers;
}

/** Stream retention: keep by limits (log), or remove each message once acknowledged (work queue). */
export type Retention = "limits" | "workqueue";

export interface StreamConfig {
  name: string;
  subjects: string[];
  /** @default "limits" */
  retention?: Retention;
  /** Oldest messages go past this count. @default unlimited (0) */
  maxMsgs?: number;
  /** Messages older than this are removed, in ms. @default unlimited (0) */
  maxAgeMs?: number;
  /** Window in which a repeated `msgId` is recognised as a duplicate, in ms. @default 120000 */
  duplicateWindowMs?: number;
  /** Replicas in a clustered deployment (NATS only). @default 1 */
  replicas?: number;
}

export interface StreamPublishOptions {
  /** Idempotency key: a second publish with the same id inside the window is not stored again. */
  msgId?: string;
  headers?: Headers;
  /** @default 5000 */
  timeout?: number;
  signal?: AbortSignal;
}

export interface PubAck {
  stream: string;
  seq: number;
  /** True when `msgId` had been seen inside the duplicate window: nothing new was stored. */
  duplicate: boolean;
}

export interface ConsumerConfig {
  /** Durable name: consumers of the same name share the cursor and the pending acks. */
  name: string;
  filterSubject?: string;
  /** Unacked messages are redelivered after this, in ms. @default 30000 */
  ackWaitMs?: number;
  /** Most unacknowledged messages out at once (max ack pending). @default 1000 */
  maxInFlight?: number;
  /** Give up on a message after this many deliveries; -1 for never. @default -1 */
  maxDeliver?: number;
  /** Where a new consumer starts. @default "all" */
  deliverPolicy?: "all" | "new";
}

/** A message from a durable stream; it must be settled with ack, nak or term. */
export interface StreamMsg {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly headers: Headers | undefined;
  readonly stream: string;
  readonly seq: number;
  /** 1 on first delivery, 2 on the first redelivery, … */
  readonly deliveryCount: number;
  ack(): void;
  /** Redeliver, after `delayMs` if given. */
  nak(delayMs?: number): void;
  /** Never redeliver. */
  term(reason?: string): void;
  /** Extends the ack deadline by another ack wait. */
  working(): void;
}

export interface FetchOptions {
  /** Most messages in this batch. @default 100 */
  batch?: number;
  /** Return what arrived by then, possibly nothing, in ms. @default 1000 */
  expiresMs?: number;
  signal?: AbortSignal;
}

export interface ConsumeOptions {
  /** Messages buffered ahead of the handler; refilled at 75% use. @default 100 */
  maxMessages?: number;
  signal?: AbortSignal;
}

export interface ConsumerInfo {
  /** Messages not yet delivered. */
  pending: number;
  /** Delivered but not yet settled. */
  ackPending: number;
  /** Redeliveries so far. */
  redelivered: number;
}

/** A pull consumer; `consume()` is an endless iterator, `fetch()` one bounded batch. */
export interface Consumer {
  readonly stream: string;
  readonly name: string;
  fetch(opts?: FetchOptions): Promise<StreamMsg[]>;
  consume(opts?: ConsumeOptions): MessageStream;
  info(): Promise<ConsumerInfo>;
}

export interface MessageStream extends AsyncIterable<StreamMsg> {
  stop(): void;
  readonly closed: Promise<void>;
}

export interface StreamInfo {
  name: string;
  messages: number;
  firstSeq: number;
  lastSeq: number;
}

/** Durable streams: JetStream on NATS, an in-process log in memory. */
export interface Streams {
  /** Creates the stream or updates it to `config`; idempotent. */
  ensure(config: StreamConfig): Promise<StreamInfo>;
  info(name: string): Promise<StreamInfo>;
  delete(name: string): Promise<void>;
  publish(subject: string, data: Uint8Array, opts?: StreamPublishOptions): Promise<PubAck>;
  /** Creates the durable consumer if absent, or binds to it. */
  consumer(stream: string, config: ConsumerConfig): Promise<Consumer>;
  deleteConsumer(stream: string, name: string): Promise<void>;
}

/**
 * The Bus seam: publish / subscribe with wildcards, queue groups, request / reply with deadline, and
 * durable streams. Everything above it is written once against this interface.
 */
export interface Bus {
  readonly name: string;
  readonly capabilities: BusCapabilities;
  readonly streams: Streams;
  publish(subject: string, data?: Uint8Array, opts?: PublishOptions): void;
  subscribe(subject: string, opts?: SubscribeOptions): Subscription;
  request(subject: string, data?: Uint8Array, opts?: RequestOptions): Promise<Msg>;
  /**
   * Resolves when everything published so far has reached the server (memory: has been handed to
   * the subscribers).
   */
  flush(): Promise<void>;
  /** Lets subscriptions deliver what they hold, then closes. */
  drain(): Promise<void>;
  close(err?: Error): Promise<void>;
  /** Resolves when closed: with the error that closed it, if any. */
  closed(): Promise<void | Error>;
  /**
   * Whether messages flow now: false while a networked Bus is reconnecting (what is published
   * meanwhile waits, see NatsBus) and once it is closed; a memory Bus is connected until closed.
   * Whatever judges silence — the presence authority marking agents suspect — must not while this
   * is false: it hears nobody.
   */
  readonly connected: boolean;
}

/** Codes a Bus rejects with. */
export type BusErrorCode = Extract<
  ErrorCode,
  "E_TIMEOUT" | "E_NO_RESPONDERS" | "E_CLOSED" | "E_OVERFLOW" | "E_TOO_LARGE" | "E_INVALID" | "E_NOT_FOUND"
>;
