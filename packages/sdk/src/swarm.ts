import { CommandClient, type SendCommandOptions, TaskClient } from "@swarmlink/core";
import type { Clock, CommandReceipt } from "@swarmlink/protocol";
import { SwarmError } from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";
import { Agent, type AgentOptions } from "./agent.js";
import { Agents } from "./agents.js";
import type { SwarmTransport } from "./transport.js";

/** Options of `swarm.command`. */
export interface CommandOptions {
  /** How long to wait for the receipt, in ms. @default 5000 */
  timeout?: number;
  /** How long the command stays valid (queued for an offline agent, or running), in ms. @default timeout */
  ttl?: number;
  /** Same key to the same agent → one command, the first send's receipt. */
  idempotencyKey?: string;
  /** Supersede queued commands of the same agent and name. @default false */
  conflate?: boolean;
  signal?: AbortSignal;
}

/**
 * A client of the swarm: makes agents, sends commands, submits tasks, reads the registry. Built by
 * `connect()`.
 */
export class Swarm {
  readonly bus: Bus;
  readonly clock: Clock;
  /** Tasks: `submit`, `get`, `cancel`, `list`, `watch` (the core's TaskClient). */
  readonly tasks: TaskClient;
  /** Command receipts: `get(commandId)`, `watch(commandId)` (the core's CommandClient). */
  readonly commands: CommandClient;
  /** The registry: `query`, `watch`. */
  readonly agents: Agents;
  readonly #transport: SwarmTransport;
  readonly #live = new Set<Agent>();
  #closing: Promise<void> | undefined;

  /** @internal use `connect()` */
  constructor(transport: SwarmTransport, clock: Clock, name: string, timeoutMs: number) {
    this.#transport = transport;
    this.bus = transport.bus;
    this.clock = clock;
    this.tasks = new TaskClient({ bus: this.bus, clock, source: name, timeoutMs });
    this.commands = new CommandClient({ bus: this.bus, clock, issuer: name });
    this.agents = new Agents(this.bus, clock, timeoutMs);
  }

  /**
   * Registers an agent and keeps it registered (heartbeats; again after a reconnect or when the
   * registry asks). Its subjects are served before it registers.
   *
   * @throws SwarmError `E_CONFIG` for a bad option; the registry's error (`E_INVALID`, `E_FORBIDDEN`…),
   * `E_TIMEOUT` or `E_NO_RESPONDERS` when no swarm node answers.
   *
   * @example
   * ```ts
   * const agent = await swarm.agent({ id: "amr-07", kind: "robot", capabilities: ["pick"], credits: 2, position: { x: 3, y: 4 } });
   * ```
   */
  async agent(opts: AgentOptions): Promise<Agent> {
    if (this.#closing) throw new SwarmError("E_CLOSED", "swarm closed");
    const agent = new Agent(
      {
        bus: this.bus,
        clock: this.clock,
        store: () => this.#transport.store(),
        onReconnect: (l) => this.#transport.onReconnect(l),
        forget: (a) => this.#live.delete(a),
      },
      opts,
    );
    this.#live.add(agent);
    try {
      await agent.start();
    } catch (err) {
      await agent.close({ timeoutMs: 0 }).catch(() => {});
      throw err;
    }
    return agent;
  }

  /**
   * Sends command `name` to `agentId` and returns its receipt: REPLIED with the agent's reply, or
   * QUEUED / DELIVERED for an agent offline or slow (then follow `swarm.commands.watch(receipt.commandId)`).
   *
   * @example
   * ```ts
   * const r = await swarm.command("amr-07", "dock", { station: 3 }, { timeout: 2000, ttl: 600_000, idempotencyKey: "dock-1" });
   * ```
   */
  command(agentId: string, name: string, args?: unknown, opts: CommandOptions = {}): Promise<CommandReceipt> {
    const o: SendCommandOptions = {};
    if (opts.timeout !== undefined) o.timeoutMs = opts.timeout;
    if (opts.ttl !== undefined) o.ttlMs = opts.ttl;
    if (opts.idempotencyKey !== undefined) o.idempotencyKey = opts.idempotencyKey;
    if (opts.conflate !== undefined) o.conflate = opts.conflate;
    if (opts.signal !== undefined) o.signal = opts.signal;
    return this.commands.send(agentId, name, args, o);
  }

  /** Closes every agent letting running task handlers finish (each up to its `drainTimeoutMs`), then drains the connection it opened. */
  drain(): Promise<void> {
    return this.#shutdown(undefined, true);
  }

  /** Closes every agent, aborting running task handlers at once, and the connection it opened. */
  close(): Promise<void> {
    return this.#shutdown(0, false);
  }

  #shutdown(timeoutMs: number | undefined, drain: boolean): Promise<void> {
    this.#closing ??= (async () => {
      const opts = timeoutMs === undefined ? {} : { timeoutMs };
      await Promise.all([...this.#live].map((a) => a.close(opts)));
      await (drain ? this.#transport.drain() : this.#transport.close());
    })();
    return this.#closing;
  }
}
