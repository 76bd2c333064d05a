import assert from "node:assert/strict";
import {
  type Command,
  type CommandReceipt,
  CommandReceiptState,
  CommandStatus,
  decodeEnvelope,
  encodeEnvelope,
  SimulatedClock,
  subjectPatterns,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import { MemoryStore, type Store } from "@swarmlink/store";
import { type Bus, MemoryBus, type Subscription } from "@swarmlink/transport";
import { CommandClient } from "../../src/commands/client.js";
import type { CommandRouterOptions } from "../../src/commands/options.js";
import { CommandRouter } from "../../src/commands/router.js";
import type { AgentDirectory, AgentRecord, PresenceEvent, PresenceState } from "../../src/types.js";
import { agentRecord } from "./dispatcher-helpers.js";

export const S = CommandReceiptState;

/** A Map-backed AgentDirectory: `set(id, status)` changes presence and tells the listeners. */
export class MapDirectory implements AgentDirectory {
  readonly #agents = new Map<string, AgentRecord>();
  readonly #listeners = new Set<(e: PresenceEvent) => void>();
  generation = 0;

  get size(): number {
    return this.#agents.size;
  }

  get(id: string): AgentRecord | undefined {
    return this.#agents.get(id);
  }

  query(): AgentRecord[] {
    return [...this.#agents.values()];
  }

  onPresence(listener: (e: PresenceEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  set(id: string, status: PresenceState): void {
    const prev = this.#agents.get(id);
    const seq = (prev?.seq ?? 0) + 1;
    this.#agents.set(id, agentRecord({ id, softwareVersion: "test", status, seq }));
    this.generation++;
    for (const l of this.#listeners) l({ agentId: id, status, epoch: 1, seq, reason: "test", atMs: 0 });
  }
}

/** How a test agent answers one command: a status and a result, or `"silent"` (never answers). */
export type Behaviour = (
  cmd: Command,
) =>
  | { status: CommandStatus; result?: unknown }
  | "silent"
  | Promise<{ status: CommandStatus; result?: unknown }>;

/**
 * An agent as the SDK will be: it serves every command subject of its id, answers the names it
 * knows with their behaviour and the others with UNKNOWN_COMMAND, and records what it received.
 */
export class TestAgent {
  readonly received: Command[] = [];
  #sub: Subscription | undefined;

  constructor(
    readonly bus: Bus,
    readonly id: string,
    readonly behaviours: Record<string, Behaviour> = {},
  ) {}

  get names(): string[] {
    return this.received.map((c) => c.name);
  }

  connect(): this {
    this.#sub = this.bus.subscribe(subjectPatterns.agentCommands(this.id), {
      callback: (_err, msg) => {
        const cmd = unwrapAs(decodeEnvelope(msg.data), "swarmlink.v1.Command");
        this.received.push(cmd);
        const behaviour = this.behaviours[cmd.name];
        const out = behaviour ? behaviour(cmd) : { status: CommandStatus.COMMAND_STATUS_UNKNOWN_COMMAND };
        if (out === "silent") return;
        void Promise.resolve(out).then((o) => {
          const result =
            o.result === undefined ? new Uint8Array(0) : new TextEncoder().encode(JSON.stringify(o.result));
          const reply = wrap(
            "swarmlink.v1.CommandReply",
            { id: cmd.id, agentId: this.id, status: o.status, result },
            { source: this.id },
          );
          msg.respond(encodeEnvelope(reply));
        });
      },
    });
    return this;
  }

  disconnect(): void {
    this.#sub?.unsubscribe();
    this.#sub = undefined;
  }
}

/** A behaviour that answers OK with `{ ok: name }`. */
export const ok: Behaviour = (cmd) => ({ status: CommandStatus.COMMAND_STATUS_OK, result: { ok: cmd.name } });

/** The reply a receipt carries, flattened (it must carry one). */
export function replyOf(r: CommandReceipt): {
  status: CommandStatus;
  result: Uint8Array;
  code: string | undefined;
  context: Record<string, string>;
} {
  assert.ok(r.reply, "the receipt carries a reply");
  const { status, result, error } = r.reply;
  return {
    status: status ?? CommandStatus.COMMAND_STATUS_UNSPECIFIED,
    result: result ?? new Uint8Array(0),
    code: error?.code ?? undefined,
    context: error?.context ?? {},
  };
}

/** Lets pending promise chains and I/O callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Waits (in real time, without moving the simulated clock) until `cond()` holds. */
export async function eventually(
  cond: () => boolean | Promise<boolean>,
  what: string,
  maxMs = 3000,
): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > maxMs) throw new Error(`not within ${maxMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** One simulated node: clock, memory Bus and Store, a directory, a router and a client. */
export class World {
  readonly clock = new SimulatedClock(1_700_000_000_000);
  readonly bus = new MemoryBus({ clock: this.clock });
  readonly store: Store = new MemoryStore({ clock: this.clock });
  readonly directory = new MapDirectory();
  readonly client = new CommandClient({ bus: this.bus, clock: this.clock, issuer: "tester" });
  readonly routers: CommandRouter[] = [];
  readonly agents: TestAgent[] = [];

  async router(opts: Partial<CommandRouterOptions> = {}): Promise<CommandRouter> {
    const r = new CommandRouter({
      bus: this.bus,
      store: this.store,
      directory: this.directory,
      clock: this.clock,
      ...opts,
    });
    this.routers.push(r);
    await r.start();
    return r;
  }

  /** An agent, connected and online when `online`. */
  agent(id: string, behaviours: Record<string, Behaviour> = {}, online = true): TestAgent {
    const a = new TestAgent(this.bus, id, behaviours);
    this.agents.push(a);
    if (online) this.online(a);
    return a;
  }

  online(a: TestAgent): void {
    a.connect();
    this.directory.set(a.id, "online");
  }

  offline(a: TestAgent): void {
    a.disconnect();
    this.directory.set(a.id, "offline");
  }

  async close(): Promise<void> {
    for (const a of this.agents) a.disconnect();
    await Promise.all(this.routers.map((r) => r.stop()));
    await this.bus.close();
    await this.store.close();
  }
}
