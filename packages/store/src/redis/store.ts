import { isSwarmError } from "@swarmlink/protocol";
import { Redis } from "ioredis";
import { withSignal } from "../abort.js";
import { conflictError, existsError } from "../errors.js";
import { checkDelete, checkKey, checkPrefix, checkRevision, checkWatch, checkWrite } from "../keys.js";
import { Lifecycle } from "../lifecycle.js";
import { Ticker } from "../ticker.js";
import type {
  DeleteOptions,
  Entry,
  ReadOptions,
  Store,
  StoreCapabilities,
  Watch,
  WatchOptions,
  WriteOptions,
} from "../types.js";
import { type Mode, WriteBatcher } from "./batch.js";
import { fromRedis } from "./errors.js";
import { Layout } from "./layout.js";
import { type ParsedRedisOptions, parseRedisOptions, REAP_BATCH, type RedisStoreOptions } from "./options.js";
import { scripts } from "./scripts.js";
import { ChangeTail } from "./tail.js";
import { openWatch } from "./watch.js";

/** Time allowed beyond the reaper interval for its script and the watch round trip, in ms. */
const EXPIRY_MARGIN_MS = 100;

/** Reconnects a call waits through before it fails with E_UNAVAILABLE (owned connections). */
const MAX_RETRIES_PER_REQUEST = 3;
/** Longest wait between two reconnects of an owned connection, in ms. */
const MAX_RECONNECT_DELAY_MS = 1000;

/**
 * A Store on Redis (ioredis). Each write is one Lua script: it takes the next revision from
 * `{ns}:rev`, writes the value HASH and appends the change to the `{ns}:changes` stream under the id
 * `<revision>-0` (and to `{ns}:changes:<segment>`, the stream of the key's first segment, which a
 * watch of a prefix reads instead of every change), so a late watcher replays with XRANGE from any
 * revision the stream still holds, then follows with XREAD BLOCK. Writes asked for in the same turn share one run of the script
 * ({@link WriteBatcher}). Leases are PEXPIREAT (reads) plus a deadline ZSET that a reaper on
 * every instance sweeps, in server time (TIME), so clients with skewed clocks agree.
 *
 * @example
 * ```ts
 * const store = await RedisStore.connect({ url: "redis://localhost:6379", namespace: "swarm-a" });
 * for await (const change of store.watch("agents.")) console.log(change.key, change.op);
 * ```
 */
export class RedisStore implements Store {
  readonly name = "redis";
  readonly capabilities: StoreCapabilities;
  #o: ParsedRedisOptions;
  #main: Redis;
  #owned: boolean;
  #layout: Layout;
  /** The tails of the change streams watched, by stream key. */
  #tails = new Map<string, ChangeTail>();
  #writes: WriteBatcher;
  #reaper: Ticker;
  #life = new Lifecycle();

  /** Connects (when given a `url`) and returns the store; `E_UNAVAILABLE` if Redis cannot be reached. */
  static async connect(opts: RedisStoreOptions): Promise<RedisStore> {
    const o = parseRedisOptions(opts);
    if (o.client) return new RedisStore(o, o.client, false);
    const main = new Redis(o.url!, {
      lazyConnect: true,
      // Through an outage a call fails after a few reconnects (about 2 s) instead of queueing.
      maxRetriesPerRequest: MAX_RETRIES_PER_REQUEST,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, MAX_RECONNECT_DELAY_MS),
    });
    main.on("error", () => {}); // every command reports its own failure
    try {
      await withSignal(opts.signal, () => main.connect());
    } catch (err) {
      main.disconnect();
      throw fromRedis(err, { url: o.url });
    }
    return new RedisStore(o, main, true);
  }

  private constructor(o: ParsedRedisOptions, main: Redis, owned: boolean) {
    this.#o = o;
    this.#main = main;
    this.#owned = owned;
    this.#layout = new Layout(o.namespace);
    this.#writes = new WriteBatcher(main, this.#layout, o.historyMaxLen);
    this.#reaper = new Ticker(o.clock, o.reapIntervalMs, () => this.#reap());
    this.#reaper.start();
    this.capabilities = Object.freeze({
      perKeyTtl: true,
      watchReplay: true,
      expiryLatencyMs: o.reapIntervalMs > 0 ? o.reapIntervalMs + EXPIRY_MARGIN_MS : Number.POSITIVE_INFINITY,
      distributed: true,
      maxValueBytes: o.maxValueBytes,
    });
  }

  async get(key: string, opts?: ReadOptions): Promise<Entry | undefined> {
    this.#life.check(opts?.signal);
    checkKey(key);
    const vkey = this.#layout.valuePrefix + key;
    const [v, r] = await this.#call(() => this.#main.hmgetBuffer(vkey, "v", "r"), opts?.signal);
    if (!v || !r) return undefined;
    return { key, value: new Uint8Array(v), revision: Number(r.toString()) };
  }

  put(key: string, value: Uint8Array, opts?: WriteOptions): Promise<number> {
    return this.#write("put", key, value, opts, 0);
  }

  create(key: string, value: Uint8Array, opts?: WriteOptions): Promise<number> {
    return this.#write("create", key, value, opts, 0);
  }

  update(key: string, value: Uint8Array, expectedRevision: number, opts?: WriteOptions): Promise<number> {
    // Not async: an async function returning #write's promise would take two more turns to settle.
    try {
      this.#life.check(opts?.signal);
      checkRevision(expectedRevision);
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#write("update", key, value, opts, expectedRevision);
  }

  async delete(key: string, opts?: DeleteOptions): Promise<void> {
    this.#life.check(opts?.signal);
    const expected = checkDelete(key, opts);
    const args = [key, expected ?? 0, this.#o.historyMaxLen];
    const run = () => scripts.delete.run(this.#main, this.#layout.forKey(key), args);
    const [code, current] = (await this.#call(run, opts?.signal)) as [number, number];
    if (code === 2) throw conflictError(key, expected ?? 0, current);
  }

  async keys(prefix = "", opts?: ReadOptions): Promise<string[]> {
    this.#life.check(opts?.signal);
    const p = checkPrefix(prefix);
    const run = () => scripts.keys.run(this.#main, this.#layout.shared, [p]);
    return (await this.#call(run, opts?.signal)) as string[];
  }

  watch(prefix = "", opts: WatchOptions = {}): Watch {
    this.#life.check();
    const p = checkWatch(prefix, opts);
    const stream = this.#layout.changesOf(p);
    let tail = this.#tails.get(stream);
    if (!tail) {
      tail = new ChangeTail(this.#main, stream, this.#layout.rev);
      this.#tails.set(stream, tail);
    }
    const deps = { main: this.#main, tail, stream, layout: this.#layout, limit: this.#o.watchQueueLimit };
    const w = openWatch(deps, p, opts);
    this.#life.track(w);
    return w;
  }

  close(err?: Error): Promise<void> {
    return this.#life.close(err, async () => {
      await this.#reaper.stop();
      for (const tail of this.#tails.values()) tail.close();
      if (this.#owned) await this.#main.quit().catch(() => this.#main.disconnect());
    });
  }

  closed(): Promise<void | Error> {
    return this.#life.done;
  }

  async #write(mode: Mode, key: string, value: Uint8Array, opts: WriteOptions | undefined, expected: number) {
    this.#life.check(opts?.signal);
    const ttlMs = checkWrite(key, value, opts, this.#o.maxValueBytes);
    // A copy: the write goes out at the end of the turn, and the caller may reuse its array before.
    const bytes = Buffer.from(value);
    const run = () => this.#writes.write(mode, key, bytes, ttlMs, expected);
    const outcome = await this.#call(run, opts?.signal);
    if (outcome.code === 3) throw fromRedis(replyError(outcome.message), { key });
    if (outcome.code === 1) throw existsError(key, outcome.revision);
    if (outcome.code === 2) throw conflictError(key, expected, outcome.revision);
    return outcome.revision;
  }

  async #reap(): Promise<void> {
    if (this.#life.isClosed) return;
    const args = [this.#layout.valuePrefix, this.#o.historyMaxLen, REAP_BATCH];
    // A failed run (Redis away) is retried on the next tick; the leases wait in the ZSET.
    await scripts.reap.run(this.#main, this.#layout.shared, args).catch(() => {});
  }

  /** Runs one Redis call, translating its failure once; `signal` may cut the wait short. */
  #call<T>(fn: () => Promise<T>, signal: AbortSignal | undefined): Promise<T> {
    return withSignal(signal, fn).catch(this.#failed);
  }

  #failed = (err: unknown): never => {
    if (isSwarmError(err)) throw err; // the signal's
    throw this.#life.isClosed ? this.#life.closedError() : fromRedis(err);
  };
}

/** Redis's refusal of one write of a run, as ioredis would have raised it for a script of its own. */
function replyError(message: string): Error {
  const err = new Error(message);
  err.name = "ReplyError";
  return err;
}
