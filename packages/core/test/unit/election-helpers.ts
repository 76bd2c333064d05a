import { type Clock, SimulatedClock, SwarmError, type TimerHandle } from "@swarmlink/protocol";
import {
  type Change,
  type DeleteOptions,
  type Entry,
  MemoryStore,
  type Store,
  type Watch,
  type WatchOptions,
  type WriteOptions,
} from "@swarmlink/store";
import { type Bus, MemoryBus, type SubscribeOptions, type Subscription } from "@swarmlink/transport";
import { type ElectOptions, elect } from "../../src/election/mod.js";
import type { Leadership } from "../../src/types.js";

/** Lets every pending promise chain run (MemoryStore calls settle in microtasks). */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Moves simulated time forward by `ms` in steps of `stepMs`, letting promises settle after each. */
export async function run(clock: SimulatedClock, ms: number, stepMs = 10): Promise<void> {
  for (let done = 0; done < ms; done += stepMs) {
    clock.advance(Math.min(stepMs, ms - done));
    await settle();
  }
}

/** Advances in steps until `cond()` holds; returns the simulated ms it took, or throws after `maxMs`. */
export async function runUntil(clock: SimulatedClock, cond: () => boolean, maxMs: number, stepMs = 10) {
  const start = clock.now();
  await settle();
  while (!cond()) {
    if (clock.now() - start > maxMs) throw new Error(`condition not met within ${maxMs} ms`);
    clock.advance(stepMs);
    await settle();
  }
  return clock.now() - start;
}

/**
 * One simulated deployment: a SimulatedClock, a MemoryStore on it, and candidates each in a
 * {@link Proc} of its own. `close()` resumes and closes everything it made.
 */
export class World {
  readonly clock = new SimulatedClock(1_700_000_000_000);
  readonly store = new MemoryStore({ clock: this.clock });
  /** What candidates probe each other on, when the options ask for liveness (`{ liveness: true }`). */
  readonly bus = new MemoryBus({ clock: this.clock });
  readonly open: Leadership[] = [];
  readonly procs: Proc[] = [];
  #opts: WorldOptions;

  constructor(opts: WorldOptions) {
    this.#opts = opts;
  }

  candidate(id: string, group = "dispatcher"): { l: Leadership; proc: Proc } {
    const proc = new Proc(this.clock, this.store, this.bus);
    this.procs.push(proc);
    const { liveness, ...rest } = this.#opts;
    const probe = liveness ? { liveness: { bus: proc.bus, ...liveness } } : {};
    const l = elect(proc.store, group, id, { ...rest, ...probe, clock: proc.clock });
    this.open.push(l);
    return { l, proc };
  }

  /** The candidates that lead now. */
  leaders(): Leadership[] {
    return this.open.filter((l) => l.isLeader);
  }

  async close(): Promise<void> {
    for (const p of this.procs) p.resume();
    await Promise.all(this.open.map((l) => l.close()));
    await this.store.close();
    await this.bus.close();
  }
}

/** Election options of a World; `liveness` gives each candidate its process's view of the World's Bus. */
export type WorldOptions = Omit<ElectOptions, "clock" | "liveness"> & { liveness?: { probeMs?: number } };

type Op = "get" | "create" | "update" | "delete";

/**
 * A process as the OS sees it under SIGSTOP: `pause()` freezes its clock's timers (time goes on)
 * and its store calls and watch deliveries until `resume()`. Faults: `failNext` makes store calls
 * fail, optionally after they reached the store (a lost reply).
 */
export class Proc {
  readonly clock: Clock;
  readonly store: Store;
  /** Its connection to the shared Bus: under SIGSTOP it serves no request; `crash()` closes it. */
  readonly bus: Bus;
  #subs: Subscription[] = [];
  #busUp = true;
  #paused = false;
  #clockPaused = false;
  #gate: Promise<void> = Promise.resolve();
  #open: () => void = () => {};
  #held: (() => void)[] = [];
  #faults: { op: Op; err: SwarmError; landed: boolean }[] = [];

  constructor(shared: SimulatedClock, inner: Store, bus: Bus) {
    this.clock = pausableClock(shared, this);
    this.store = faultyStore(inner, this);
    this.bus = procBus(bus, this, this.#subs);
  }

  /** SIGKILL: paused for good, and its Bus subscriptions are gone with its connection. */
  crash(): void {
    this.pause();
    this.cutBus();
  }

  /** Its Bus connection is gone (subscriptions with it); the process and its Store go on. */
  cutBus(): void {
    this.#busUp = false;
    for (const s of this.#subs.splice(0)) s.unsubscribe();
  }

  /** @internal */ get busUp(): boolean {
    return this.#busUp;
  }

  /** Whether its timers are held (SIGSTOP), not only its store calls. */
  get clockPaused(): boolean {
    return this.#clockPaused;
  }

  /** Timer callbacks that fell due while paused and have not run. */
  get heldTimers(): number {
    return this.#held.length;
  }

  /** SIGSTOP (`"all"`), or a store that stops answering while the process runs on (`"store"`). */
  pause(what: "all" | "store" = "all"): void {
    this.#clockPaused = what === "all";
    if (this.#paused) return;
    this.#paused = true;
    this.#gate = new Promise((resolve) => {
      this.#open = resolve;
    });
  }

  resume(): void {
    this.#paused = false;
    this.#clockPaused = false;
    this.#open();
    for (const fn of this.#held.splice(0)) fn();
  }

  failNext(op: Op, code: "E_UNAVAILABLE" | "E_TIMEOUT" = "E_UNAVAILABLE", landed = false): void {
    this.#faults.push({ op, err: new SwarmError(code, `injected ${code} on ${op}`), landed });
  }

  /** @internal */ hold(fn: () => void): void {
    this.#held.push(fn);
  }

  /** @internal */ async gate(): Promise<void> {
    while (this.#paused) await this.#gate;
  }

  /** @internal */ takeFault(op: Op): { err: SwarmError; landed: boolean } | undefined {
    const i = this.#faults.findIndex((f) => f.op === op);
    return i < 0 ? undefined : this.#faults.splice(i, 1)[0];
  }
}

function pausableClock(shared: SimulatedClock, proc: Proc): Clock {
  return {
    now: () => shared.now(),
    setTimeout: (fn, ms): TimerHandle =>
      shared.setTimeout(() => (proc.clockPaused ? proc.hold(fn) : fn()), ms),
    clearTimeout: (h) => shared.clearTimeout(h),
  };
}

/** `inner` as one process sees it: messages delivered to it while it is paused wait for resume. */
function procBus(inner: Bus, proc: Proc, subs: Subscription[]): Bus {
  return new Proxy(inner, {
    get(target, prop) {
      if (prop === "connected") return target.connected && proc.busUp;
      if (prop !== "subscribe") {
        const v = Reflect.get(target, prop, target);
        return typeof v === "function" ? v.bind(target) : v; // its methods use private fields
      }
      return (subject: string, opts: SubscribeOptions = {}) => {
        const cb = opts.callback;
        const callback: SubscribeOptions["callback"] = cb
          ? (err, msg) => (proc.clockPaused ? proc.hold(() => cb(err, msg)) : cb(err, msg))
          : undefined;
        const sub = target.subscribe(subject, { ...opts, callback });
        subs.push(sub);
        return sub;
      };
    },
  });
}

function faultyStore(inner: Store, proc: Proc): Store {
  const call = async <T>(op: Op, fn: () => Promise<T>): Promise<T> => {
    await proc.gate();
    const fault = proc.takeFault(op);
    if (fault?.landed) await fn();
    if (fault) throw fault.err;
    const result = await fn();
    await proc.gate(); // a reply that arrives while paused is read on resume
    return result;
  };
  return {
    name: `${inner.name}+proc`,
    capabilities: inner.capabilities,
    get: (key: string): Promise<Entry | undefined> => call("get", () => inner.get(key)),
    put: (key: string, value: Uint8Array, opts?: WriteOptions) => inner.put(key, value, opts),
    create: (key: string, value: Uint8Array, opts?: WriteOptions) =>
      call("create", () => inner.create(key, value, opts)),
    update: (key: string, value: Uint8Array, rev: number, opts?: WriteOptions) =>
      call("update", () => inner.update(key, value, rev, opts)),
    delete: (key: string, opts?: DeleteOptions) => call("delete", () => inner.delete(key, opts)),
    keys: (prefix?: string) => inner.keys(prefix),
    watch: (prefix?: string, opts?: WatchOptions): Watch => gatedWatch(inner.watch(prefix, opts), proc),
    close: (err?: Error) => inner.close(err),
    closed: () => inner.closed(),
  };
}

function gatedWatch(inner: Watch, proc: Proc): Watch {
  let stop: () => void = () => {};
  const stopped = new Promise<IteratorResult<Change>>((resolve) => {
    stop = () => resolve({ value: undefined, done: true });
  });
  const end = () => {
    stop();
    inner.stop();
  };
  return {
    initialized: inner.initialized,
    closed: inner.closed,
    stop: end,
    [Symbol.asyncIterator](): AsyncIterator<Change> {
      const it = inner[Symbol.asyncIterator]();
      // A change that arrives while paused is held until resume; a stop ends the watch at once.
      const next = async () => {
        const r = await it.next();
        return r.done ? r : proc.gate().then(() => r);
      };
      return {
        next: () => Promise.race([next(), stopped]),
        return: async () => {
          end();
          return { value: undefined, done: true };
        },
      };
    },
  };
}
