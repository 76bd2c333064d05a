import { abortError, SwarmError, type TimerHandle } from "@swarmlink/protocol";
import { subjectMatches } from "../subject.js";
import { deliverSoon, turnIfLong } from "../turns.js";
import type {
  ConsumeOptions,
  Consumer,
  ConsumerConfig,
  ConsumerInfo,
  FetchOptions,
  MessageStream,
  StreamMsg,
} from "../types.js";
import type { MemoryStream } from "./streams.js";

export const DEFAULT_ACK_WAIT_MS = 30_000;
export const DEFAULT_MAX_IN_FLIGHT = 1000;
export const DEFAULT_FETCH_BATCH = 100;
export const DEFAULT_FETCH_EXPIRES_MS = 1000;
export const DEFAULT_CONSUME_MAX_MESSAGES = 100;

/** A waiting pull: a fetch or a running consume. */
interface Puller {
  wants(): boolean;
  give(msg: StreamMsg): void;
}

/**
 * The durable state of one consumer: its cursor, what is out and unacknowledged, and what waits to
 * be redelivered. Every handle bound to the same durable name shares it, as on JetStream.
 */
export class ConsumerState {
  config: Required<Omit<ConsumerConfig, "filterSubject">> & { filterSubject: string | undefined };
  #cursor: number;
  #pending = new Map<number, TimerHandle | undefined>();
  #ready: number[] = [];
  #counts = new Map<number, number>();
  #pullers: Puller[] = [];
  #redelivered = 0;
  #closed = false;

  constructor(
    readonly stream: MemoryStream,
    config: ConsumerConfig,
  ) {
    this.config = normalize(config);
    this.#cursor = this.config.deliverPolicy === "new" ? stream.lastSeq + 1 : stream.firstSeq;
  }

  reconfigure(config: ConsumerConfig): void {
    this.config = normalize(config);
    this.pump();
  }

  handle(): Consumer {
    return new MemoryConsumer(this);
  }

  addPuller(p: Puller): void {
    this.#pullers.push(p);
    this.pump();
  }

  removePuller(p: Puller): void {
    const i = this.#pullers.indexOf(p);
    if (i >= 0) this.#pullers.splice(i, 1);
  }

  /** Hands deliverable messages to waiting pullers, never past max in-flight. */
  pump(): void {
    if (this.#closed) return;
    while (this.#pullers.length > 0 && this.#pending.size < this.config.maxInFlight) {
      const puller = this.#pullers.find((p) => p.wants());
      if (!puller) return;
      const seq = this.#next();
      if (seq === undefined) return;
      const stored = this.stream.get(seq)!;
      const count = (this.#counts.get(seq) ?? 0) + 1;
      this.#counts.set(seq, count);
      this.#pending.set(seq, this.#ackTimer(seq));
      puller.give(new MemoryStreamMsg(this, seq, count, stored.subject, stored.data, stored.headers));
    }
  }

  ack(seq: number): void {
    if (!this.#settle(seq)) return;
    if (this.stream.config.retention === "workqueue") this.stream.remove(seq);
    this.pump();
  }

  term(seq: number): void {
    this.ack(seq);
  }

  nak(seq: number, delayMs = 0): void {
    if (!this.#pending.has(seq)) return;
    this.stream.clock.clearTimeout(this.#pending.get(seq));
    if (delayMs > 0) {
      // Still counted as in flight while it waits, as JetStream does with a delayed nak.
      this.#pending.set(
        seq,
        this.stream.clock.setTimeout(() => this.#requeue(seq), delayMs),
      );
    } else {
      this.#requeue(seq);
    }
  }

  working(seq: number): void {
    if (!this.#pending.has(seq)) return;
    this.stream.clock.clearTimeout(this.#pending.get(seq));
    this.#pending.set(seq, this.#ackTimer(seq));
  }

  info(): ConsumerInfo {
    let notYet = 0;
    for (let seq = this.#cursor; seq <= this.stream.lastSeq; seq++) {
      if (this.#eligible(seq)) notYet++;
    }
    return {
      pending: notYet + this.#ready.length,
      ackPending: this.#pending.size,
      redelivered: this.#redelivered,
    };
  }

  get closed(): boolean {
    return this.#closed;
  }

  close(): void {
    this.#closed = true;
    for (const t of this.#pending.values()) this.stream.clock.clearTimeout(t);
    this.#pending.clear();
    this.#pullers = [];
  }

  #next(): number | undefined {
    while (this.#ready.length > 0) {
      const seq = this.#ready.shift()!;
      if (this.stream.get(seq)) return seq;
      this.#counts.delete(seq);
    }
    while (this.#cursor <= this.stream.lastSeq) {
      const seq = this.#cursor++;
      if (this.#eligible(seq)) return seq;
    }
    return undefined;
  }

  #eligible(seq: number): boolean {
    const m = this.stream.get(seq);
    if (!m) return false;
    return this.config.filterSubject === undefined || subjectMatches(this.config.filterSubject, m.subject);
  }

  #ackTimer(seq: number): TimerHandle {
    return this.stream.clock.setTimeout(() => {
      const count = this.#counts.get(seq) ?? 0;
      if (this.config.maxDeliver > 0 && count >= this.config.maxDeliver) {
        this.#settle(seq);
        this.pump();
        return;
      }
      this.#requeue(seq);
    }, this.config.ackWaitMs);
  }

  #requeue(seq: number): void {
    if (this.#closed || !this.#pending.delete(seq)) return;
    this.#redelivered++;
    let i = this.#ready.length;
    while (i > 0 && this.#ready[i - 1]! > seq) i--;
    this.#ready.splice(i, 0, seq);
    this.pump();
  }

  #settle(seq: number): boolean {
    if (!this.#pending.has(seq)) return false;
    this.stream.clock.clearTimeout(this.#pending.get(seq));
    this.#pending.delete(seq);
    this.#counts.delete(seq);
    return true;
  }
}

class MemoryStreamMsg implements StreamMsg {
  readonly stream: string;

  constructor(
    readonly state: ConsumerState,
    readonly seq: number,
    readonly deliveryCount: number,
    readonly subject: string,
    readonly data: Uint8Array,
    readonly headers: Record<string, string> | undefined,
  ) {
    this.stream = state.stream.config.name;
  }

  ack(): void {
    this.state.ack(this.seq);
  }

  nak(delayMs?: number): void {
    this.state.nak(this.seq, delayMs);
  }

  term(_reason?: string): void {
    this.state.term(this.seq);
  }

  working(): void {
    this.state.working(this.seq);
  }
}

class MemoryConsumer implements Consumer {
  readonly stream: string;
  readonly name: string;

  constructor(readonly state: ConsumerState) {
    this.stream = state.stream.config.name;
    this.name = state.config.name;
  }

  fetch(opts: FetchOptions = {}): Promise<StreamMsg[]> {
    const batch = opts.batch ?? DEFAULT_FETCH_BATCH;
    const { signal } = opts;
    if (this.state.closed) return Promise.reject(new SwarmError("E_CLOSED", "consumer closed"));
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const clock = this.state.stream.clock;
    return new Promise((resolve, reject) => {
      const got: StreamMsg[] = [];
      const done = (err?: SwarmError) => {
        clock.clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.state.removePuller(puller);
        if (err) reject(err);
        else resolve(got);
      };
      const onAbort = () => done(abortError(signal!));
      const puller: Puller = {
        wants: () => got.length < batch,
        give: (m) => {
          got.push(m);
          if (got.length >= batch) queueMicrotask(() => done());
        },
      };
      const timer = clock.setTimeout(() => done(), opts.expiresMs ?? DEFAULT_FETCH_EXPIRES_MS);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.state.addPuller(puller);
    });
  }

  consume(opts: ConsumeOptions = {}): MessageStream {
    if (this.state.closed) throw new SwarmError("E_CLOSED", "consumer closed");
    return new MemoryMessageStream(this.state, opts);
  }

  async info(): Promise<ConsumerInfo> {
    return this.state.info();
  }
}

class MemoryMessageStream implements MessageStream {
  readonly closed: Promise<void>;
  #buffer: StreamMsg[] = [];
  #max: number;
  #wake: (() => void) | undefined;
  #stopped = false;
  #resolveClosed!: () => void;
  #puller: Puller;

  constructor(
    readonly state: ConsumerState,
    opts: ConsumeOptions,
  ) {
    this.#max = opts.maxMessages ?? DEFAULT_CONSUME_MAX_MESSAGES;
    this.closed = new Promise((r) => {
      this.#resolveClosed = r;
    });
    this.#puller = {
      wants: () => !this.#stopped && this.#buffer.length < this.#max,
      give: (m) => {
        this.#buffer.push(m);
        if (this.#wake) deliverSoon(this.#wake);
      },
    };
    opts.signal?.addEventListener("abort", () => this.stop(), { once: true });
    if (opts.signal?.aborted) this.stop();
    else state.addPuller(this.#puller);
  }

  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.state.removePuller(this.#puller);
    this.#wake?.();
    this.#resolveClosed();
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamMsg> {
    return {
      next: async () => {
        for (;;) {
          if (this.#stopped || this.state.closed) return { value: undefined, done: true };
          const m = this.#buffer.shift();
          if (m) {
            // Taking one frees a slot in the buffer: refill from the stream.
            this.state.pump();
            // A full buffer never waits: let timers and I/O in now and then (see turns.ts).
            const turn = turnIfLong();
            if (turn) await turn;
            return { value: m, done: false };
          }
          await new Promise<void>((r) => {
            this.#wake = r;
          });
          this.#wake = undefined;
        }
      },
      return: async () => {
        this.stop();
        return { value: undefined, done: true };
      },
    };
  }
}

function normalize(c: ConsumerConfig): ConsumerState["config"] {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(c.name)) {
    throw new SwarmError("E_INVALID", "consumer names are 1 to 64 of [A-Za-z0-9_-]", { name: c.name });
  }
  const maxInFlight = c.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new SwarmError("E_CONFIG", "maxInFlight must be a whole number ≥ 1", { maxInFlight });
  }
  return {
    name: c.name,
    filterSubject: c.filterSubject,
    ackWaitMs: c.ackWaitMs ?? DEFAULT_ACK_WAIT_MS,
    maxInFlight,
    maxDeliver: c.maxDeliver ?? -1,
    deliverPolicy: c.deliverPolicy ?? "all",
  };
}
