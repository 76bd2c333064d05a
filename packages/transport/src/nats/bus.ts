import { connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { abortError, SwarmError } from "@swarmlink/protocol";
import { checkSubject } from "../subject.js";
import { PushSubscription } from "../subscription.js";
import type {
  Bus,
  BusCapabilities,
  Msg,
  PublishOptions,
  RequestOptions,
  SubscribeOptions,
  Subscription,
} from "../types.js";
import { fromNats } from "./errors.js";
import { NatsBusMsg, toNatsHeaders } from "./msg.js";
import { NatsReplies } from "./replies.js";
import { NatsStreams } from "./streams.js";

export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
/** Bound on what may be published while the connection is down. 0 refuses every such publish. */
export const DEFAULT_MAX_DISCONNECTED_BYTES = 8 * 1024 * 1024;

export interface NatsBusOptions {
  /** Server URLs, e.g. `nats://127.0.0.1:4222`. @default "nats://127.0.0.1:4222" */
  servers?: string | string[];
  /** Client name shown by the server. */
  name?: string;
  user?: string;
  pass?: string;
  token?: string;
  /**
   * Bytes that may be published while disconnected; Swarmlink holds them and sends them, in order,
   * once the client reconnects (nats.js itself discards its outbound buffer on reconnect). Past the
   * bound `publish` throws E_OVERFLOW instead of growing memory. 0 refuses every such publish.
   * @default 8388608
   */
  maxDisconnectedBytes?: number;
  /** Keep trying to reconnect forever (-1) or this many times. @default -1 */
  maxReconnectAttempts?: number;
  /** Between reconnect attempts, in ms. @default 250 */
  reconnectTimeWaitMs?: number;
  /**
   * Anything else nats.js accepts, for what this list does not name. Swarmlink sets nats.js's
   * `noAsyncTraces` (pass `false` here to turn the traces back on while debugging): with it on,
   * nats.js builds an Error with a stack for every request and JetStream publish in case it fails,
   * which costs a tenth of a busy node's CPU, and Swarmlink reports a request's failure by its code
   * and subject (E_TIMEOUT, E_NO_RESPONDERS) rather than by that stack.
   */
  nats?: Partial<NodeConnectionOptions>;
}

/** Publish overhead counted per message while disconnected: the PUB line around the payload. */
const PUB_OVERHEAD_BYTES = 32;

/**
 * The Bus over NATS core and JetStream. Reconnection is the nats.js client's; Swarmlink bounds what
 * it may buffer meanwhile.
 *
 * @example
 * ```ts
 * const bus = await NatsBus.connect({ servers: "nats://127.0.0.1:4222" });
 * const reply = await bus.request("swarm.v1.agents.r1.cmd.ping", data, { timeout: 1000 });
 * await bus.drain();
 * ```
 */
export class NatsBus implements Bus {
  readonly name = "nats";
  readonly capabilities: BusCapabilities;
  readonly streams: NatsStreams;
  readonly nc: NatsConnection;
  #maxDisconnectedBytes: number;
  #disconnected = false;
  #offline: Array<{ subject: string; data: Uint8Array | undefined; opts: PublishOptions }> = [];
  #offlineBytes = 0;
  #overflows = 0;
  #replies: NatsReplies;

  /** Connects; rejects with E_UNAVAILABLE when no server answers. */
  static async connect(opts: NatsBusOptions = {}): Promise<NatsBus> {
    let nc: NatsConnection;
    try {
      nc = await connect({
        servers: opts.servers ?? "nats://127.0.0.1:4222",
        name: opts.name,
        user: opts.user,
        pass: opts.pass,
        token: opts.token,
        maxReconnectAttempts: opts.maxReconnectAttempts ?? -1,
        reconnectTimeWait: opts.reconnectTimeWaitMs ?? 250,
        noAsyncTraces: true,
        ...opts.nats,
      });
    } catch (err) {
      throw new SwarmError(
        "E_UNAVAILABLE",
        "cannot connect to NATS",
        { servers: opts.servers },
        { cause: err },
      );
    }
    return new NatsBus(nc, opts);
  }

  constructor(nc: NatsConnection, opts: NatsBusOptions = {}) {
    this.nc = nc;
    this.#maxDisconnectedBytes = opts.maxDisconnectedBytes ?? DEFAULT_MAX_DISCONNECTED_BYTES;
    this.capabilities = {
      persistent: true,
      distributed: true,
      maxPayloadBytes: nc.info?.max_payload ?? 1024 * 1024,
    };
    // A connection made elsewhere may have its own inbox prefix (subject permissions): nats.js keeps
    // its options on the connection object, though its interface does not name them.
    const connOptions = (nc as { options?: { inboxPrefix?: string } }).options;
    this.#replies = new NatsReplies(nc, opts.nats?.inboxPrefix ?? connOptions?.inboxPrefix);
    this.streams = new NatsStreams(nc, this.#replies);
    void this.#watchStatus();
  }

  /** Publishes refused because the disconnected buffer was full. */
  get overflows(): number {
    return this.#overflows;
  }

  publish(subject: string, data?: Uint8Array, opts: PublishOptions = {}): void {
    checkSubject(subject, false);
    const bytes = data?.byteLength ?? 0;
    if (bytes > this.capabilities.maxPayloadBytes) {
      throw new SwarmError("E_TOO_LARGE", "payload exceeds the server's max_payload", {
        bytes,
        maxPayloadBytes: this.capabilities.maxPayloadBytes,
      });
    }
    if (this.#disconnected && !this.nc.isClosed()) {
      this.#hold(subject, data, opts);
      return;
    }
    this.#send(subject, data, opts);
  }

  #send(subject: string, data: Uint8Array | undefined, opts: PublishOptions): void {
    try {
      if (opts.headers === undefined && opts.reply === undefined) this.nc.publish(subject, data);
      else this.nc.publish(subject, data, { headers: toNatsHeaders(opts.headers), reply: opts.reply });
    } catch (err) {
      throw fromNats(err, { subject });
    }
  }

  subscribe(subject: string, opts: SubscribeOptions = {}): Subscription {
    checkSubject(subject, true);
    if (this.nc.isClosed()) throw new SwarmError("E_CLOSED", "bus closed");
    let push: PushSubscription | undefined;
    const ns = this.nc.subscribe(subject, {
      queue: opts.queue,
      callback: (err, m) => {
        if (err) push?.unsubscribe();
        else push?.push(new NatsBusMsg(m));
      },
    });
    push = new PushSubscription(subject, { ...opts, direct: true }, () => {
      if (!ns.isClosed()) ns.unsubscribe();
    });
    // The connection closing ends the subscription too; nats.js says so only through `closed`.
    void ns.closed.then(() => {
      if (push?.active) push.unsubscribe();
    });
    return push;
  }

  request(subject: string, data?: Uint8Array, opts: RequestOptions = {}): Promise<Msg> {
    try {
      checkSubject(subject, false);
      const { signal } = opts;
      if (signal?.aborted) throw abortError(signal);
      if (this.nc.isClosed()) throw new SwarmError("E_CLOSED", "bus closed");
      const headers = toNatsHeaders(opts.headers);
      return this.#replies.request(
        subject,
        data,
        headers,
        opts.timeout ?? DEFAULT_REQUEST_TIMEOUT_MS,
        signal,
      );
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async flush(): Promise<void> {
    try {
      await this.nc.flush();
    } catch (err) {
      throw fromNats(err);
    }
  }

  async drain(): Promise<void> {
    if (this.nc.isClosed() || this.nc.isDraining()) return;
    try {
      await this.nc.drain();
    } catch (err) {
      throw fromNats(err);
    }
  }

  async close(_err?: Error): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.close();
  }

  get connected(): boolean {
    return !this.#disconnected && !this.nc.isClosed();
  }

  closed(): Promise<void | Error> {
    return this.nc.closed();
  }

  #hold(subject: string, data: Uint8Array | undefined, opts: PublishOptions): void {
    const need = (data?.byteLength ?? 0) + subject.length + PUB_OVERHEAD_BYTES;
    if (this.#offlineBytes + need > this.#maxDisconnectedBytes) {
      this.#overflows++;
      throw new SwarmError("E_OVERFLOW", "disconnected from NATS and the reconnect buffer is full", {
        subject,
        bufferedBytes: this.#offlineBytes,
        maxDisconnectedBytes: this.#maxDisconnectedBytes,
      });
    }
    this.#offlineBytes += need;
    this.#offline.push({ subject, data, opts });
  }

  /** Sends what was held while disconnected, in publish order, before anything published later. */
  #replay(): void {
    const held = this.#offline;
    this.#offline = [];
    this.#offlineBytes = 0;
    for (const m of held) this.#send(m.subject, m.data, m.opts);
  }

  async #watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === "disconnect" || s.type === "reconnecting") {
        this.#disconnected = true;
      } else if (s.type === "reconnect") {
        this.#replay();
        this.#disconnected = false;
      }
    }
  }
}
