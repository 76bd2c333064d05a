import {
  type DescriptorInit,
  type ElectOptions,
  elect,
  type Leadership,
  ReportBatcher,
} from "@swarmlink/core";
import { agentKindOf, type Clock, SwarmError, validateId } from "@swarmlink/protocol";
import type { Store } from "@swarmlink/store";
import type { Bus } from "@swarmlink/transport";
import { type CommandHandler, CommandServer } from "./commands.js";
import { type AgentLeadership, leadershipHandle } from "./election.js";
import { type FrameKind, malformedCounter } from "./frames.js";
import { type AgentTuning, type ParsedTuning, parseTuning } from "./options.js";
import { Session } from "./session.js";
import type { TaskHandler } from "./tasks/running.js";
import { type BidFn, TaskWorker } from "./tasks/worker.js";
import { type TelemetryOptions, TelemetryPublisher, type TelemetryStats } from "./telemetry.js";

/** What `swarm.agent()` registers. */
export interface AgentOptions extends AgentTuning {
  /** The agent's id (letters, digits, `-`, `_`). */
  id: string;
  /** "robot", "bot", "service", "gateway", "operator". @default "bot" */
  kind?: "robot" | "bot" | "service" | "gateway" | "operator";
  /** What it can do; tasks are matched against these. @default [] */
  capabilities?: string[];
  /** @default {} */
  attributes?: Record<string, string>;
  /** Where it is, in metres in the site frame. */
  position?: { x: number; y: number; z?: number };
  /** Most tasks it runs at once. @default 1 */
  credits?: number;
  softwareVersion?: string;
  displayName?: string;
}

/** What an Agent needs from its Swarm. */
export interface AgentHost {
  bus: Bus;
  clock: Clock;
  store(): Promise<Store | undefined>;
  onReconnect(listener: () => void): () => void;
  forget(agent: Agent): void;
}

/**
 * A registered agent: heartbeats, telemetry, commands, tasks, bids, elections. Built by `swarm.agent()`.
 *
 * @example
 * ```ts
 * const agent = await swarm.agent({ id: "amr-07", kind: "robot", capabilities: ["pick"], credits: 2 });
 * agent.onCommand("dock", async ({ station }) => ({ docked: station }));
 * agent.onTask("pick", async (task, { signal, progress }) => { progress(0.5); return { ok: true }; });
 * agent.telemetry("pose", { x: 1, y: 2 }, { conflate: true });
 * await agent.close();
 * ```
 */
export class Agent {
  readonly id: string;
  readonly #host: AgentHost;
  readonly #o: ParsedTuning;
  readonly #session: Session;
  readonly #telemetry: TelemetryPublisher;
  readonly #commands: CommandServer;
  readonly #tasks: TaskWorker;
  readonly #elections = new Set<Leadership>();
  readonly #malformed = malformedCounter();
  #offReconnect: () => void = () => {};
  #closing: Promise<void> | undefined;

  /** @internal use `swarm.agent()` */
  constructor(host: AgentHost, opts: AgentOptions) {
    this.id = validateConfig("id", () => validateId("id", opts?.id));
    this.#host = host;
    this.#o = parseTuning(opts);
    const kind = agentKindOf(opts.kind ?? "bot");
    if (kind === undefined)
      throw new SwarmError("E_CONFIG", "kind is not a known agent kind", { field: "kind", kind: opts.kind });
    const credits = opts.credits ?? 1;
    if (!Number.isSafeInteger(credits) || credits < 0)
      throw new SwarmError("E_CONFIG", "credits must be a whole number ≥ 0", { field: "credits" });
    const descriptor: DescriptorInit & { id: string } = {
      id: this.id,
      kind,
      capabilities: opts.capabilities ?? [],
      attributes: opts.attributes ?? {},
      credits,
      awardBatches: this.#o.batches,
      softwareVersion: opts.softwareVersion ?? "",
      displayName: opts.displayName ?? "",
      ...(opts.position
        ? { position: { cartesian: { x: opts.position.x, y: opts.position.y, z: opts.position.z ?? 0 } } }
        : {}),
    };
    const { bus, clock } = host;
    const count = this.#malformed.count;
    this.#session = new Session(bus, clock, descriptor, this.#o, count);
    this.#telemetry = new TelemetryPublisher(
      bus,
      clock,
      this.id,
      this.#o.telemetryCapacity,
      this.#o.telemetryBatch,
    );
    this.#commands = new CommandServer(bus, clock, this.id, this.#o.recentIds, count);
    const timeoutMs = this.#o.requestTimeoutMs;
    const reports = this.#o.batches
      ? new ReportBatcher({ bus, source: this.id, clock, timeoutMs })
      : undefined;
    const d = { bus, clock, agentId: this.id, timeoutMs, retryMs: this.#o.retryMs, reports };
    this.#tasks = new TaskWorker(d, credits, this.#o.recentIds, count);
    this.#tasks.onChange = (n) => {
      this.#session.inFlight = n;
    };
  }

  /** @internal Subscribes its subjects, then registers (so nothing routed to it finds no one). */
  async start(): Promise<void> {
    this.#commands.start();
    this.#tasks.start();
    await this.#host.bus.flush();
    await this.#session.start();
    this.#offReconnect = this.#host.onReconnect(() => this.#session.reregister());
  }

  /** The epoch of the current registration (grows with every re-registration). */
  get epoch(): number {
    return this.#session.epoch;
  }

  /** Registrations after the first (re-register requests and reconnects). */
  get reregistrations(): number {
    return this.#session.reregistrations;
  }

  /** Most tasks it runs at once (its descriptor's credits). */
  get credits(): number {
    return this.#tasks.credits;
  }

  /**
   * Changes the agent's credits: at once for its own award checks and bids (0: every award is
   * REJECTED `E_OVERFLOW`, no bids; running tasks go on), then in the registry by registering again
   * (a new epoch) with the new credits, so the dispatcher stops (or starts again) choosing it.
   * Resolves once the registry has them; `signal` stops the wait, not the registration (retried
   * every `retryMs` until it succeeds or the agent closes).
   * @throws SwarmError `E_CONFIG` naming `credits` for a value that is not a whole number ≥ 0.
   *
   * @example
   * ```ts
   * await agent.setCredits(0); // charging: no awards
   * await agent.setCredits(2); // back to work
   * ```
   */
  async setCredits(credits: number, opts: { signal?: AbortSignal } = {}): Promise<void> {
    if (!Number.isSafeInteger(credits) || credits < 0)
      throw new SwarmError("E_CONFIG", "credits must be a whole number ≥ 0", { field: "credits" });
    opts.signal?.throwIfAborted();
    this.#tasks.credits = credits;
    const registered = this.#session.update({ credits });
    const signal = opts.signal;
    if (!signal) return registered;
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      void registered.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
    });
  }

  /** Tasks running now. */
  get inFlight(): number {
    return this.#tasks.inFlight;
  }

  /** Awards refused so far, by error code. */
  get refusedAwards(): ReadonlyMap<string, number> {
    return this.#tasks.refused;
  }

  /** Frames on the agent's subjects that could not be read (ignored; an award answered REJECTED), by kind. */
  get malformedFrames(): ReadonlyMap<FrameKind, number> {
    return this.#malformed.counts;
  }

  /**
   * Publishes one telemetry sample through a bounded buffer; never waits, never grows memory.
   * `pose` takes `{ x, y, z?, headingDeg?, speedMps? }`, `battery` a Battery, `status` an AgentStatus;
   * anything else goes as JSON.
   *
   * @example
   * ```ts
   * setInterval(() => agent.telemetry("pose", { x, y, headingDeg }, { conflate: true }), 20); // 50 Hz
   * ```
   */
  telemetry(stream: string, value: unknown, opts: TelemetryOptions = {}): void {
    this.#telemetry.publish(stream, value, opts);
  }

  /** What the telemetry buffers did: sent, dropped, high water. */
  telemetryStats(): TelemetryStats {
    return this.#telemetry.stats();
  }

  /**
   * Answers command `name`: the handler's return value is the OK result (JSON); a thrown SwarmError
   * replies ERROR with its code. Names without a handler reply UNKNOWN_COMMAND. Returns the unsubscribe.
   *
   * @example
   * ```ts
   * agent.onCommand("dock", async ({ station }, { signal }) => { await dockAt(station, signal); return { docked: true }; });
   * ```
   */
  onCommand(name: string, handler: CommandHandler): () => void {
    return this.#commands.on(name, handler);
  }

  /**
   * Runs awarded tasks needing `capability`: the handler gets the task and `{ signal, progress }`;
   * its return value reports SUCCEEDED (JSON result), a throw FAILED. `credits` bounds this
   * capability's tasks at once (the agent's credits bound them all). Returns the unsubscribe.
   *
   * @example
   * ```ts
   * agent.onTask("pick", async (task, { signal, progress }) => { await pick(task, signal); progress(1); return { bin: 4 }; });
   * ```
   */
  onTask(capability: string, handler: TaskHandler, opts: { credits?: number } = {}): () => void {
    return this.#tasks.on(capability, handler, opts.credits);
  }

  /**
   * Bids in auctions for tasks needing `capability`: `price(task)` gives a cost (lower wins) or
   * undefined to stay out. No bid goes out while the agent has no free credit.
   *
   * @example
   * ```ts
   * agent.bid("pick", (task) => distance(here, task.position?.cartesian) / speedMps);
   * ```
   */
  bid(capability: string, price: BidFn): () => void {
    return this.#tasks.bid(capability, price);
  }

  /**
   * Joins the leader election of `group` (in the Swarm's Store), with liveness probes on the
   * Swarm's Bus (`ElectOptions.liveness`).
   * @throws SwarmError `E_UNSUPPORTED` when the Swarm has no Store.
   *
   * @example
   * ```ts
   * const l = await agent.elect("formation");
   * l.onChange((s) => console.log(s.holder, s.isLeader));
   * ```
   */
  async elect(group: string, opts: Omit<ElectOptions, "clock"> = {}): Promise<AgentLeadership> {
    const store = await this.#host.store();
    if (!store)
      throw new SwarmError(
        "E_UNSUPPORTED",
        "this Swarm has no Store for elections: connect with a store or servers",
        { group },
      );
    // Probes on the agent's own Bus: a crashed leader is replaced in a few probes, not a lease.
    const liveness = { bus: this.#host.bus };
    const l = elect(store, group, this.id, { clock: this.#host.clock, liveness, ...opts });
    this.#elections.add(l);
    return leadershipHandle(l);
  }

  /**
   * Leaves the swarm: refuses new work, lets running task handlers finish (up to `timeoutMs`, then
   * aborts them with E_CLOSED), sends what telemetry is buffered, resigns elections, deregisters.
   */
  close(opts: { timeoutMs?: number } = {}): Promise<void> {
    this.#closing ??= (async () => {
      this.#offReconnect();
      this.#commands.close();
      await this.#tasks.drain(opts.timeoutMs ?? this.#o.drainTimeoutMs);
      await Promise.all([...this.#elections].map((l) => l.close().catch(() => {})));
      await this.#telemetry.close(opts.timeoutMs ?? this.#o.drainTimeoutMs);
      await this.#session.close();
      this.#host.forget(this);
    })();
    return this.#closing;
  }
}

function validateConfig(field: string, f: () => string): string {
  try {
    return f();
  } catch (err) {
    throw new SwarmError("E_CONFIG", (err as Error).message, { field }, { cause: err });
  }
}
