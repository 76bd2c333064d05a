import { type MsgHdrs, type Msg as NatsMsg, headers as natsHeaders } from "@nats-io/transport-node";
import type { Headers, Msg } from "../types.js";

export function toNatsHeaders(h: Headers | undefined): MsgHdrs | undefined {
  if (!h) return undefined;
  const out = natsHeaders();
  for (const [k, v] of Object.entries(h)) out.set(k, v);
  return out;
}

export function fromNatsHeaders(h: MsgHdrs | undefined): Headers | undefined {
  if (!h) return undefined;
  const out: Headers = {};
  for (const [k, v] of h) out[k] = v.join(",");
  return out;
}

/** A nats.js message seen through the Bus's Msg; headers are converted only when read. */
export class NatsBusMsg implements Msg {
  #m: NatsMsg;
  #headers: Headers | undefined | null = null;

  constructor(m: NatsMsg) {
    this.#m = m;
  }

  get subject(): string {
    return this.#m.subject;
  }

  get data(): Uint8Array {
    return this.#m.data;
  }

  get reply(): string | undefined {
    return this.#m.reply || undefined;
  }

  get headers(): Headers | undefined {
    if (this.#headers === null) this.#headers = fromNatsHeaders(this.#m.headers);
    return this.#headers;
  }

  respond(data: Uint8Array, opts?: { headers?: Headers }): boolean {
    const h = toNatsHeaders(opts?.headers);
    return this.#m.respond(data, h ? { headers: h } : undefined);
  }
}
