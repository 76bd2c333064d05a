import type { Store } from "@swarmlink/store";
import type { Bus } from "@swarmlink/transport";
import type { Logger } from "pino";
import type { Registry as MetricsRegistry } from "prom-client";
import { CommandRouter } from "../commands/mod.js";
import { Dispatcher } from "../dispatcher/mod.js";
import { elect } from "../election/mod.js";
import { Registry } from "../registry/mod.js";
import type { Leadership } from "../types.js";
import { nodeMetrics } from "./metrics.js";
import { type ParsedNodeOptions, parseNodeOptions, type SwarmNodeOptions } from "./options.js";

/**
 * One swarm node: the registry and presence, a candidate in the coordinator election, the
 * dispatcher (which works only while this node leads) and the command router, over one Bus and one
 * Store. Run N of them on a shared NATS and Store; exactly one allocates at a time.
 *
 * @example
 * ```ts
 * const node = await SwarmNode.start({ bus: new MemoryBus(), store: new MemoryStore() });
 * await node.leadership.waitForLeadership();
 * // … agents register, tasks are submitted and dispatched …
 * await node.stop();
 * ```
 */
export class SwarmNode {
  readonly nodeId: string;
  readonly bus: Bus;
  readonly store: Store;
  readonly leadership: Leadership;
  readonly registry: Registry;
  readonly dispatcher: Dispatcher;
  readonly commands: CommandRouter;
  readonly metrics: MetricsRegistry;
  readonly log: Logger | undefined;
  #stopped = false;
  #unwatch: () => void;

  /** Builds a node and starts its parts; rejects (after undoing what started) if one fails. */
  static async start(opts: SwarmNodeOptions): Promise<SwarmNode> {
    const node = new SwarmNode(parseNodeOptions(opts));
    try {
      await node.registry.start();
      await node.commands.start();
      await node.dispatcher.start();
    } catch (err) {
      await node.stop();
      throw err;
    }
    node.log?.info({ nodeId: node.nodeId, bus: node.bus.name, store: node.store.name }, "swarm node started");
    return node;
  }

  private constructor(o: ParsedNodeOptions) {
    this.nodeId = o.nodeId;
    this.bus = o.bus;
    this.store = o.store;
    this.log = o.log;
    const child = (part: string) => o.log?.child({ part });
    this.leadership = elect(o.store, o.group, o.nodeId, {
      leaseMs: o.leaseMs,
      renewMs: o.renewMs,
      clock: o.clock,
      // A crashed leader is replaced in a few probes instead of a lease (see ElectOptions.liveness).
      liveness: { bus: o.bus },
    });
    this.registry = new Registry({
      ...o.registry,
      bus: o.bus,
      store: o.store,
      clock: o.clock,
      nodeId: o.nodeId,
      leadership: this.leadership,
      log: child("registry"),
    });
    const isAuthority = () => this.leadership.isLeader;
    this.commands = new CommandRouter({
      ...o.commands,
      bus: o.bus,
      store: o.store,
      clock: o.clock,
      nodeId: o.nodeId,
      directory: this.registry.directory,
      isAuthority,
      log: child("commands"),
    });
    this.dispatcher = new Dispatcher({
      ...o.dispatcher,
      bus: o.bus,
      store: o.store,
      clock: o.clock,
      coordinatorId: o.nodeId,
      directory: this.registry.directory,
      leadership: this.leadership,
      log: child("dispatcher"),
    });
    this.metrics = nodeMetrics(this);
    this.#unwatch = this.leadership.onChange((s) =>
      o.log?.info(
        { group: s.group, holder: s.holder, token: s.token, isLeader: s.isLeader },
        "leadership changed",
      ),
    );
  }

  /** Stops the parts (the dispatcher first, so no award goes out after), then resigns. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#unwatch();
    await this.dispatcher.stop();
    await this.commands.stop();
    await this.registry.stop();
    await this.leadership.close();
    this.log?.info({ nodeId: this.nodeId }, "swarm node stopped");
  }
}
