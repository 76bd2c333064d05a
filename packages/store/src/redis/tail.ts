import { SwarmError } from "@swarmlink/protocol";
import type { Redis } from "ioredis";
import type { Change, ChangeOp } from "../types.js";
import { fromRedis } from "./errors.js";

/** Most stream entries read per XREAD / XRANGE call. */
export const READ_BATCH = 1000;

/** Longest XREAD BLOCK, in ms; the reader then loops (close() disconnects it at once anyway). */
const BLOCK_MS = 5000;

export interface TailSubscriber {
  deliver(change: Change): void;
  fail(err: SwarmError): void;
}

const OPS: ReadonlySet<string> = new Set<ChangeOp>(["put", "delete", "expire"]);

/** A change from one `[id, [field, value, …]]` stream entry (ids are `<revision>-0`). */
export function toChange(entry: unknown): Change | undefined {
  if (!Array.isArray(entry) || !Array.isArray(entry[1])) return undefined;
  const revision = Number.parseInt(String(entry[0]), 10);
  const f = new Map<string, Buffer>();
  const fields = entry[1] as Buffer[];
  for (let i = 0; i + 1 < fields.length; i += 2) f.set(String(fields[i]), fields[i + 1]!);
  const op = String(f.get("o"));
  const key = f.get("k");
  if (!OPS.has(op) || !key || !Number.isSafeInteger(revision)) return undefined;
  const change: Change = { key: key.toString(), op: op as ChangeOp, revision };
  const v = f.get("v");
  if (op === "put") change.value = new Uint8Array(v ?? []);
  return change;
}

/**
 * The live end of one change stream (the store's, or one segment's): one XREAD BLOCK loop on a
 * dedicated connection (duplicated from the store's), fanned out to every watch that reads that
 * stream. Started by the first such watch, it runs until the store closes or the connection fails
 * (then every subscriber fails with `E_UNAVAILABLE`).
 */
export class ChangeTail {
  #main: Redis;
  #stream: string;
  #revKey: string;
  #conn: Redis | undefined;
  #subs = new Set<TailSubscriber>();
  /** The last revision dispatched: subscribers get every change after it. */
  #position = 0;
  #running = false;
  #starting: Promise<void> | undefined;
  #closed = false;

  /** `stream`: the change stream to follow; `revKey`: the store's revision counter. */
  constructor(main: Redis, stream: string, revKey: string) {
    this.#main = main;
    this.#stream = stream;
    this.#revKey = revKey;
  }

  /** Subscribes `sub`; it will be given every change with a revision above the one returned. */
  async join(sub: TailSubscriber): Promise<number> {
    for (;;) {
      if (this.#closed) throw new SwarmError("E_CLOSED", "the store is closed");
      if (this.#running) {
        this.#subs.add(sub);
        return this.#position;
      }
      this.#starting ??= this.#start().finally(() => {
        this.#starting = undefined;
      });
      await this.#starting;
    }
  }

  leave(sub: TailSubscriber): void {
    this.#subs.delete(sub);
  }

  close(): void {
    this.#closed = true;
    this.#subs.clear();
    this.#conn?.disconnect();
  }

  async #start(): Promise<void> {
    if (!this.#conn) {
      this.#conn = this.#main.duplicate();
      this.#conn.on("error", () => {}); // reported through the failing XREAD
    }
    this.#position = Number((await this.#main.get(this.#revKey)) ?? 0);
    this.#running = true;
    void this.#run(this.#conn);
  }

  async #run(conn: Redis): Promise<void> {
    while (!this.#closed) {
      let reply: unknown;
      try {
        const from = `${this.#position}-0`;
        reply = await conn.xreadBuffer("COUNT", READ_BATCH, "BLOCK", BLOCK_MS, "STREAMS", this.#stream, from);
      } catch (err) {
        if (this.#closed) return;
        this.#running = false;
        const e = fromRedis(err, { during: "watch" });
        for (const s of [...this.#subs]) s.fail(e);
        this.#subs.clear();
        return;
      }
      for (const entry of entriesOf(reply)) {
        const change = toChange(entry);
        if (!change || change.revision <= this.#position) continue;
        this.#position = change.revision;
        for (const s of this.#subs) s.deliver(change);
      }
    }
  }
}

/** The entries of an XREAD reply for one stream: `[[name, [entry, …]]]`, or null on timeout. */
function entriesOf(reply: unknown): unknown[] {
  if (!Array.isArray(reply)) return [];
  const stream: unknown = reply[0];
  return Array.isArray(stream) && Array.isArray(stream[1]) ? stream[1] : [];
}
