import {
  createInbox,
  type MsgHdrs,
  type NatsConnection,
  type Msg as NatsMsg,
  type Subscription as NatsSubscription,
} from "@nats-io/transport-node";
import { SwarmError, systemClock } from "@swarmlink/protocol";
import type { Msg } from "../types.js";
import { type WaitingReply, waitForReply } from "../waiting-reply.js";
import { fromNats } from "./errors.js";
import { NatsBusMsg } from "./msg.js";

/**
 * NatsBus's requests: one wildcard subscription on `<inbox>.*`, a token per request, a timer each,
 * as nats.js's own request multiplexer does, minus its costs per request: nats.js builds a
 * `RequestError("cancelled")` (an Error with a stack) even for every request that was answered, and
 * races two promises. Its subscription is made on first use and lives as long as the connection.
 */
export class NatsReplies {
  readonly #nc: NatsConnection;
  readonly #prefix: string;
  #sub: NatsSubscription | undefined;
  #seq = 0;
  #waiting = new Map<string, WaitingReply>();

  constructor(nc: NatsConnection, inboxPrefix: string | undefined) {
    this.#nc = nc;
    this.#prefix = `${createInbox(inboxPrefix)}.`;
  }

  /**
   * Publishes `data` on `subject` with a fresh inbox as its reply subject and resolves with the
   * first answer. Rejects with E_TIMEOUT after `timeoutMs`, E_NO_RESPONDERS when the server says
   * nobody listens, the abort error when `signal` fires, E_CLOSED when the connection ends.
   */
  request(
    subject: string,
    data: Uint8Array | undefined,
    headers: MsgHdrs | undefined,
    timeoutMs: number,
    signal: AbortSignal | undefined,
  ): Promise<Msg> {
    try {
      this.#sub ??= this.#subscribe();
    } catch (err) {
      // A closed or draining connection refuses the inbox subscription at once.
      return Promise.reject(fromNats(err, { subject }));
    }
    const token = (++this.#seq).toString(36);
    const done = () => this.#waiting.delete(token);
    const { waiting, reply } = waitForReply(subject, timeoutMs, signal, systemClock, done);
    this.#waiting.set(token, waiting);
    try {
      this.#nc.publish(subject, data, { reply: this.#prefix + token, headers });
    } catch (err) {
      waiting.settle(fromNats(err, { subject }));
    }
    return reply;
  }

  #subscribe(): NatsSubscription {
    const sub = this.#nc.subscribe(`${this.#prefix}*`, {
      callback: (err, m) => (err ? this.#failAll(fromNats(err)) : this.#answer(m)),
    });
    void sub.closed.then(() => {
      this.#sub = undefined;
      this.#failAll(new SwarmError("E_CLOSED", "the connection closed before the reply came"));
    });
    return sub;
  }

  #answer(m: NatsMsg): void {
    const w = this.#waiting.get(m.subject.slice(this.#prefix.length));
    if (!w) return; // late: its request timed out or was aborted
    // The server's status 503, with no payload: no subscriber on the request's subject.
    if (m.data.length === 0 && m.headers?.code === 503) {
      w.settle(new SwarmError("E_NO_RESPONDERS", `no responders on ${w.subject}`, { subject: w.subject }));
    } else {
      w.settle(undefined, new NatsBusMsg(m));
    }
  }

  #failAll(err: SwarmError): void {
    for (const w of [...this.#waiting.values()]) w.settle(err);
  }
}
