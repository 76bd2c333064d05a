import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { withSignal } from "../abort.js";
import { conflictError } from "../errors.js";
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
import { Bucket, Refused } from "./bucket.js";
import { createKey, deleteKey } from "./cas.js";
import { isLive } from "./codec.js";
import { fromNats } from "./errors.js";
import { LeaseIndex } from "./leases.js";
import {
  HEADER_ROOM_BYTES,
  type NatsKvStoreOptions,
  type ParsedNatsKvOptions,
  parseNatsKvOptions,
} from "./options.js";
import { openWatch } from "./watch.js";

/** Time allowed beyond the reaper interval for the index's lag, the marker and its delivery, in ms. */
const EXPIRY_MARGIN_MS = 250;
/** Most leases one reaper run expires; a longer backlog takes several runs. */
const REAP_BATCH = 256;

/**
 * A Store on a NATS JetStream KV bucket (`$KV.<bucket>.<key>` subjects, stream `KV_<bucket>`), so
 * revisions are the stream's sequence and values stay readable by any NATS KV client. Compare-and-set
 * is JetStream's expected-last-subject-sequence check. nats-server 2.9 has no per-message TTL, so a
 * lease is a `Swarmlink-TTL` header counted from the server's timestamp: reads treat a lapsed lease
 * as absent, and a reaper on every instance writes its `expire` marker (a KV `DEL` with
 * `Swarmlink-Reason: expire`) with a revision-conditional publish, so exactly one lands.
 *
 * @example
 * ```ts
 * const store = await NatsKvStore.connect({ servers: "nats://localhost:4222", bucket: "swarm" });
 * const rev = await store.create("leader", bytes("node-1"), { ttlMs: 5000 });
 * ```
 */
export class NatsKvStore implements Store {
  readonly name = "nats-kv";
  readonly capabilities: StoreCapabilities;
  #o: ParsedNatsKvOptions;
  #nc: NatsConnection;
  #owned: boolean;
  #index: LeaseIndex;
  #bucket: Bucket;
  #reaper: Ticker;
  #life = new Lifecycle();

  /** Connects (when given `servers`), makes or opens the bucket and loads its leases. */
  static async connect(opts: NatsKvStoreOptions): Promise<NatsKvStore> {
    const o = parseNatsKvOptions(opts);
    return withSignal(
      opts.signal,
      () => NatsKvStore.#open(o),
      (late) => late.close(),
    );
  }

  static async #open(o: ParsedNatsKvOptions): Promise<NatsKvStore> {
    let nc = o.connection;
    const owned = nc === undefined;
    try {
      // Without noAsyncTraces nats.js builds an Error with a stack for every KV write in case it
      // fails; the store reports a failure by its code and key instead.
      nc ??= await connect({ servers: o.servers, noAsyncTraces: true });
    } catch (err) {
      throw fromNats(err, { servers: o.servers });
    }
    try {
      const js = jetstream(nc);
      const kv = await new Kvm(js).create(o.bucket, { history: o.history, replicas: o.replicas });
      const direct = (await kv.status()).streamInfo.config.allow_direct === true;
      // The index's consumer ends only with the connection; every call then reports E_UNAVAILABLE.
      const stream = `KV_${o.bucket}`;
      const index = await LeaseIndex.open({ js, stream, subjectPrefix: `$KV.${o.bucket}.`, onEnd() {} });
      return new NatsKvStore(o, nc, owned, index, { jsm: await jetstreamManager(nc), direct });
    } catch (err) {
      if (owned) await nc.close().catch(() => undefined);
      throw fromNats(err, { bucket: o.bucket });
    }
  }

  private constructor(
    o: ParsedNatsKvOptions,
    nc: NatsConnection,
    owned: boolean,
    index: LeaseIndex,
    reads: { jsm: JetStreamManager; direct: boolean },
  ) {
    this.#o = o;
    this.#nc = nc;
    this.#owned = owned;
    this.#index = index;
    const translate = (err: unknown) => (this.#life.isClosed ? this.#life.closedError() : fromNats(err));
    this.#bucket = new Bucket({ js: jetstream(nc), ...reads, bucket: o.bucket, index, translate });
    this.#reaper = new Ticker(o.clock, o.reapIntervalMs, () => this.#reap());
    this.#reaper.start();
    const maxPayload = nc.info?.max_payload ?? o.maxValueBytes + HEADER_ROOM_BYTES;
    this.capabilities = Object.freeze({
      perKeyTtl: true,
      watchReplay: true,
      expiryLatencyMs: o.reapIntervalMs > 0 ? o.reapIntervalMs + EXPIRY_MARGIN_MS : Number.POSITIVE_INFINITY,
      distributed: true,
      maxValueBytes: Math.max(0, Math.min(o.maxValueBytes, maxPayload - HEADER_ROOM_BYTES)),
    });
  }

  async get(key: string, opts?: ReadOptions): Promise<Entry | undefined> {
    this.#life.check(opts?.signal);
    checkKey(key);
    const r = await withSignal(opts?.signal, () => this.#bucket.read(key));
    return r && isLive(r, this.#now()) ? { key, value: r.value, revision: r.revision } : undefined;
  }

  async put(key: string, value: Uint8Array, opts?: WriteOptions): Promise<number> {
    const ttlMs = this.#checkWrite(key, value, opts);
    return withSignal(opts?.signal, async () => {
      // A lapsed lease this instance knows of expires (and says so) before it is overwritten.
      const lapsed = this.#index.lapsed(key, this.#now());
      if (lapsed !== undefined) await this.#bucket.remove(key, "expire", lapsed);
      return (await this.#bucket.put(key, value, ttlMs)) as number; // unconditional: never refused
    });
  }

  async create(key: string, value: Uint8Array, opts?: WriteOptions): Promise<number> {
    const ttlMs = this.#checkWrite(key, value, opts);
    return withSignal(opts?.signal, () => createKey(this.#bucket, key, value, ttlMs, () => this.#now()));
  }

  async update(
    key: string,
    value: Uint8Array,
    expectedRevision: number,
    opts?: WriteOptions,
  ): Promise<number> {
    const ttlMs = this.#checkWrite(key, value, opts);
    checkRevision(expectedRevision);
    // JetStream would accept a write on a removed or lapsed revision; the Store contract does not.
    if (this.#index.isGone(key, expectedRevision, this.#now())) throw conflictError(key, expectedRevision, 0);
    const rev = await withSignal(opts?.signal, () => this.#bucket.put(key, value, ttlMs, expectedRevision));
    if (rev instanceof Refused) throw conflictError(key, expectedRevision, rev.current);
    return rev;
  }

  async delete(key: string, opts?: DeleteOptions): Promise<void> {
    this.#life.check(opts?.signal);
    const expected = checkDelete(key, opts);
    return withSignal(opts?.signal, () => deleteKey(this.#bucket, key, expected, () => this.#now()));
  }

  async keys(prefix = "", opts?: ReadOptions): Promise<string[]> {
    this.#life.check(opts?.signal);
    const p = checkPrefix(prefix);
    return withSignal(opts?.signal, () => this.#bucket.keys(p, this.#now()));
  }

  watch(prefix = "", opts: WatchOptions = {}): Watch {
    this.#life.check();
    const p = checkWatch(prefix, opts);
    const { js, stream, subjects } = this.#bucket;
    const deps = {
      js,
      stream,
      subjectPrefix: subjects,
      limit: this.#o.watchQueueLimit,
      now: () => this.#now(),
    };
    return this.#life.track(openWatch(deps, p, opts));
  }

  close(err?: Error): Promise<void> {
    return this.#life.close(err, async () => {
      await this.#reaper.stop();
      await this.#index.stop();
      if (this.#owned) await this.#nc.close().catch(() => undefined);
    });
  }

  closed(): Promise<void | Error> {
    return this.#life.done;
  }

  #now(): number {
    return this.#o.clock.now();
  }

  #checkWrite(key: string, value: Uint8Array, opts: WriteOptions | undefined): number {
    this.#life.check(opts?.signal);
    return checkWrite(key, value, opts, this.capabilities.maxValueBytes);
  }

  async #reap(): Promise<void> {
    if (this.#life.isClosed) return;
    const due = this.#index.due(this.#now()).slice(0, REAP_BATCH);
    // A failed run (server away) is retried on the next tick; a refusal means another instance won.
    await Promise.all(
      due.map(({ key, revision }) => this.#bucket.remove(key, "expire", revision).catch(() => {})),
    );
  }
}
