import { abortError, type Clock, SwarmError } from "@swarmlink/protocol";
import { checkSubject, subjectMatches } from "../subject.js";
import type {
  Consumer,
  ConsumerConfig,
  Headers,
  PubAck,
  StreamConfig,
  StreamInfo,
  StreamPublishOptions,
  Streams,
} from "../types.js";
import { ConsumerState } from "./consumer.js";

export const DEFAULT_DUPLICATE_WINDOW_MS = 120_000;

export interface StoredMsg {
  subject: string;
  data: Uint8Array;
  headers: Headers | undefined;
  time: number;
}

/** One stream: a sequence-numbered log with limits, de-duplication and its durable consumers. */
export class MemoryStream {
  config: Required<StreamConfig>;
  readonly msgs = new Map<number, StoredMsg>();
  firstSeq = 1;
  lastSeq = 0;
  readonly consumers = new Map<string, ConsumerState>();
  #dedupe = new Map<string, { seq: number; at: number }>();

  constructor(
    config: StreamConfig,
    readonly clock: Clock,
  ) {
    this.config = normalize(config);
  }

  append(subject: string, data: Uint8Array, opts: StreamPublishOptions): PubAck {
    const now = this.clock.now();
    if (opts.msgId !== undefined) {
      this.#forgetOldIds(now);
      const seen = this.#dedupe.get(opts.msgId);
      if (seen) return { stream: this.config.name, seq: seen.seq, duplicate: true };
    }
    const seq = ++this.lastSeq;
    this.msgs.set(seq, { subject, data, headers: opts.headers, time: now });
    if (opts.msgId !== undefined) this.#dedupe.set(opts.msgId, { seq, at: now });
    this.#enforceLimits(now);
    for (const c of this.consumers.values()) c.pump();
    return { stream: this.config.name, seq, duplicate: false };
  }

  /** The message at `seq` if it is still held (not removed by limits or work-queue acks). */
  get(seq: number): StoredMsg | undefined {
    const m = this.msgs.get(seq);
    if (m && this.config.maxAgeMs > 0 && this.clock.now() - m.time > this.config.maxAgeMs) {
      this.remove(seq);
      return undefined;
    }
    return m;
  }

  remove(seq: number): void {
    this.msgs.delete(seq);
    while (this.firstSeq <= this.lastSeq && !this.msgs.has(this.firstSeq)) this.firstSeq++;
  }

  info(): StreamInfo {
    this.#enforceLimits(this.clock.now());
    return {
      name: this.config.name,
      messages: this.msgs.size,
      firstSeq: this.firstSeq,
      lastSeq: this.lastSeq,
    };
  }

  #enforceLimits(now: number): void {
    const { maxMsgs, maxAgeMs } = this.config;
    while (maxMsgs > 0 && this.msgs.size > maxMsgs) this.remove(this.firstSeq);
    if (maxAgeMs > 0) {
      for (const [seq, m] of this.msgs) {
        if (now - m.time <= maxAgeMs) break;
        this.remove(seq);
      }
    }
  }

  #forgetOldIds(now: number): void {
    for (const [id, seen] of this.#dedupe) {
      if (now - seen.at <= this.config.duplicateWindowMs) break;
      this.#dedupe.delete(id);
    }
  }
}

function normalize(c: StreamConfig): Required<StreamConfig> {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(c.name)) {
    throw new SwarmError("E_INVALID", "stream names are 1 to 64 of [A-Za-z0-9_-]", { name: c.name });
  }
  if (c.subjects.length === 0) throw new SwarmError("E_CONFIG", "a stream needs subjects", { name: c.name });
  for (const s of c.subjects) checkSubject(s, true);
  return {
    name: c.name,
    subjects: [...c.subjects],
    retention: c.retention ?? "limits",
    maxMsgs: c.maxMsgs ?? 0,
    maxAgeMs: c.maxAgeMs ?? 0,
    duplicateWindowMs: c.duplicateWindowMs ?? DEFAULT_DUPLICATE_WINDOW_MS,
    replicas: c.replicas ?? 1,
  };
}

/** Durable streams held in this process; they last as long as the Bus. */
export class MemoryStreams implements Streams {
  #streams = new Map<string, MemoryStream>();

  constructor(
    readonly clock: Clock,
    readonly checkOpen: () => void,
  ) {}

  async ensure(config: StreamConfig): Promise<StreamInfo> {
    this.checkOpen();
    const existing = this.#streams.get(config.name);
    if (existing) {
      existing.config = normalize(config);
      return existing.info();
    }
    const stream = new MemoryStream(config, this.clock);
    this.#streams.set(config.name, stream);
    return stream.info();
  }

  async info(name: string): Promise<StreamInfo> {
    this.checkOpen();
    return this.#get(name).info();
  }

  async delete(name: string): Promise<void> {
    this.checkOpen();
    const s = this.#get(name);
    for (const c of s.consumers.values()) c.close();
    this.#streams.delete(name);
  }

  async publish(subject: string, data: Uint8Array, opts: StreamPublishOptions = {}): Promise<PubAck> {
    this.checkOpen();
    if (opts.signal?.aborted) throw abortError(opts.signal);
    checkSubject(subject, false);
    for (const s of this.#streams.values()) {
      if (s.config.subjects.some((p) => subjectMatches(p, subject))) return s.append(subject, data, opts);
    }
    throw new SwarmError("E_NOT_FOUND", "no stream stores this subject", { subject });
  }

  async consumer(stream: string, config: ConsumerConfig): Promise<Consumer> {
    this.checkOpen();
    const s = this.#get(stream);
    let state = s.consumers.get(config.name);
    if (!state) {
      state = new ConsumerState(s, config);
      s.consumers.set(config.name, state);
    } else {
      state.reconfigure(config);
    }
    return state.handle();
  }

  async deleteConsumer(stream: string, name: string): Promise<void> {
    this.checkOpen();
    const s = this.#get(stream);
    const c = s.consumers.get(name);
    if (!c) throw new SwarmError("E_NOT_FOUND", "no such consumer", { stream, consumer: name });
    c.close();
    s.consumers.delete(name);
  }

  close(): void {
    for (const s of this.#streams.values()) for (const c of s.consumers.values()) c.close();
  }

  #get(name: string): MemoryStream {
    const s = this.#streams.get(name);
    if (!s) throw new SwarmError("E_NOT_FOUND", "no such stream", { stream: name });
    return s;
  }
}
