import { abortError, type Clock, SwarmError, systemClock } from "@swarmlink/protocol";
import { checkSubject } from "../subject.js";
import { PushSubscription } from "../subscription.js";
import { deliverSoon } from "../turns.js";
import type {
  Bus,
  BusCapabilities,
  Headers,
  Msg,
  PublishOptions,
  RequestOptions,
  SubscribeOptions,
  Subscription,
} from "../types.js";
import { PendingReplies } from "./replies.js";
import { type Route, Router } from "./router.js";
import { MemoryStreams } from "./streams.js";

export interface MemoryBusOptions {
  /** Drives request deadlines and stream redelivery. @default systemClock */
  clock?: Clock;
  /** Largest payload accepted, in bytes. @default 1048576 */
  maxPayloadBytes?: number;
  /** How long `drain()` waits for subscribers to take what they hold, in ms. @default 10000 */
  drainTimeoutMs?: number;
}

export const DEFAULT_MAX_PAYLOAD_BYTES = 1024 * 1024;
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 10_000;
const EMPTY = new Uint8Array(0);

class MemoryMsg implements Msg {
  constructor(
    readonly subject: string,
    readonly data: Uint8Array,
    readonly headers: Headers | undefined,
    readonly reply: string | undefined,
    readonly bus: MemoryBus,
  ) {}

  respond(data: Uint8Array, opts?: { headers?: Headers }): boolean {
    if (!this.reply) return false;
    this.bus.publish(this.reply, data, opts);
    return true;
  }
}

/**
 * The embedded Bus: one process, no server. It keeps the guarantees of the NATS Bus (order per
 * publisher, queue groups, request deadlines, durable-stream redelivery and max in-flight) but not
 * persistence across a restart, which its capabilities say.
 *
 * @example
 * ```ts
 * const bus = new MemoryBus();
 * const sub = bus.subscribe("swarm.v1.agents.*.heartbeat");
 * bus.publish("swarm.v1.agents.r1.heartbeat", bytes);
 * for await (const m of sub) console.log(m.subject);
 * ```
 */
export class MemoryBus implements Bus {
  readonly name = "memory";
  readonly capabilities: BusCapabilities;
  readonly streams: MemoryStreams;
  readonly clock: Clock;
  #router = new Router();
  #subs = new Set<PushSubscription>();
  #replies: PendingReplies;
  #drainTimeoutMs: number;
  #closed: Error | null | undefined;
  #closedPromise: Promise<void | Error>;
  #resolveClosed!: (v: void | Error) => void;

  constructor(opts: MemoryBusOptions = {}) {
    this.clock = opts.clock ?? systemClock;
    this.capabilities = {
      persistent: false,
      distributed: false,
      maxPayloadBytes: opts.maxPayloadBytes ?? DEFAULT_MAX_PAYLOAD_BYTES,
    };
    this.#drainTimeoutMs = opts.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
    this.#closedPromise = new Promise((r) => {
      this.#resolveClosed = r;
    });
    this.streams = new MemoryStreams(this.clock, () => this.#checkOpen());
    this.#replies = new PendingReplies(this.clock);
  }

  publish(subject: string, data: Uint8Array = EMPTY, opts: PublishOptions = {}): void {
    this.#checkOpen();
    // The inbox of a request of this Bus is well formed: the Bus made it.
    const reply = this.#replies.waitsOn(subject);
    if (!reply) checkSubject(subject, false);
    this.#checkSize(data);
    const msg = new MemoryMsg(subject, data, opts.headers, opts.reply, this);
    if (reply) this.#replies.answer(subject, msg);
    // Subscribers see a reply too (`_INBOX.>`), as on NATS.
    this.#router.deliver(subject, msg, pushTo);
  }

  subscribe(subject: string, opts: SubscribeOptions = {}): Subscription {
    this.#checkOpen();
    checkSubject(subject, true);
    const route: { pattern: string; queue: string | undefined; sub?: PushSubscription } = {
      pattern: subject,
      queue: opts.queue,
    };
    const sub = new PushSubscription(subject, opts, () => {
      this.#router.remove(route as Route);
    });
    route.sub = sub;
    this.#subs.add(sub);
    void sub.closed.then(() => this.#subs.delete(sub));
    this.#router.add(route as Route);
    return sub;
  }

  request(subject: string, data: Uint8Array = EMPTY, opts: RequestOptions = {}): Promise<Msg> {
    try {
      this.#checkOpen();
      checkSubject(subject, false);
      this.#checkSize(data);
    } catch (err) {
      return Promise.reject(err);
    }
    const { signal } = opts;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    if (!this.#router.hasInterest(subject)) {
      return Promise.reject(new SwarmError("E_NO_RESPONDERS", "no responders", { subject }));
    }
    const timeout = opts.timeout ?? DEFAULT_REQUEST_TIMEOUT_MS;
    const { inbox, reply } = this.#replies.open(subject, timeout, signal);
    this.#router.deliver(subject, new MemoryMsg(subject, data, opts.headers, inbox, this), pushTo);
    return reply;
  }

  /**
   * Resolves once what was published before it has been handed to its subscribers' callbacks and
   * iterators: deliveries are scheduled with `deliverSoon`, first in first out, and so is this.
   */
  async flush(): Promise<void> {
    this.#checkOpen();
    await new Promise<void>((resolve) => deliverSoon(resolve));
  }

  async drain(): Promise<void> {
    if (this.#closed !== undefined) return;
    const all = [...this.#subs].map((s) => s.drain());
    let timer: unknown;
    await Promise.race([
      Promise.all(all),
      new Promise<void>((r) => {
        timer = this.clock.setTimeout(r, this.#drainTimeoutMs);
      }),
    ]);
    this.clock.clearTimeout(timer);
    await this.close();
  }

  async close(err?: Error): Promise<void> {
    if (this.#closed !== undefined) return;
    this.#closed = err ?? null;
    const reason = new SwarmError("E_CLOSED", "bus closed", {}, { cause: err });
    this.#replies.failAll(reason);
    for (const s of [...this.#subs]) s.unsubscribe();
    this.streams.close();
    this.#resolveClosed(err);
  }

  get connected(): boolean {
    return this.#closed === undefined;
  }

  closed(): Promise<void | Error> {
    return this.#closedPromise;
  }

  #checkOpen(): void {
    if (this.#closed !== undefined) throw new SwarmError("E_CLOSED", "bus closed");
  }

  #checkSize(data: Uint8Array): void {
    if (data.byteLength > this.capabilities.maxPayloadBytes) {
      throw new SwarmError("E_TOO_LARGE", "payload exceeds the maximum", {
        bytes: data.byteLength,
        maxPayloadBytes: this.capabilities.maxPayloadBytes,
      });
    }
  }
}

function pushTo(route: Route, msg: MemoryMsg): boolean {
  return route.sub.push(msg);
}
