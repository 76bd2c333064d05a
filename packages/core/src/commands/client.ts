import {
  type Clock,
  type CommandReceipt,
  isSwarmError,
  SwarmError,
  subjects,
  systemClock,
  ulid,
  validateId,
} from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";
import { commandIdFor } from "./ids.js";
import { whole } from "./options.js";
import { watchReceipt } from "./watch.js";
import { CONFLATE_HEADER, decodeAnswer, encodeMsg, type WireContext } from "./wire.js";

/** How long `send` and `get` wait for the swarm's answer, in ms. */
export const DEFAULT_SEND_TIMEOUT_MS = 5000;
/** Time between two reads of a watched receipt, in ms (a safety net for lost change messages). */
export const DEFAULT_WATCH_POLL_MS = 2000;
/** `Command.issuer` and `Envelope.source` when the client is given none. */
export const DEFAULT_ISSUER = "client";

/** Options of {@link CommandClient}. */
export interface CommandClientOptions {
  bus: Bus;
  /** Computes deadlines, drives watch polls. @default systemClock */
  clock?: Clock;
  /** Who sends: `Command.issuer` and `Envelope.source` (an id). @default "client" */
  issuer?: string;
  /** Time between two reads of a watched receipt, in ms. @default 2000 */
  watchPollMs?: number;
}

/** Options of {@link CommandClient.send}. */
export interface SendCommandOptions {
  /**
   * How long to wait for the receipt, in ms. An online agent's reply within it comes back as
   * REPLIED; past it, `send` returns DELIVERED (or QUEUED) and the command goes on: watch it.
   * @default 5000
   */
  timeoutMs?: number;
  /** How long the command stays valid, queued or running, in ms; the agent must not act on it after. @default timeoutMs */
  ttlMs?: number;
  /** Same key to the same agent → same command id → one delivery, the first send's receipt. */
  idempotencyKey?: string;
  /** Supersede the queued commands of the same agent and name (they settle EXPIRED, reason "conflated"). @default false */
  conflate?: boolean;
  signal?: AbortSignal;
}

/**
 * Sends commands to agents through the swarm and follows their receipts. Works over any Bus.
 *
 * @example
 * ```ts
 * const commands = new CommandClient({ bus, issuer: "operator-ana" });
 * const r = await commands.send("amr-07", "dock", { station: 3 }, { ttlMs: 600_000, idempotencyKey: "dock-1" });
 * if (r.state === CommandReceiptState.COMMAND_RECEIPT_STATE_QUEUED) {
 *   for await (const step of commands.watch(r.commandId)) console.log(step.state);
 * }
 * ```
 */
export class CommandClient {
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #wire: WireContext;
  readonly #issuer: string;
  readonly #pollMs: number;

  /** @throws SwarmError `E_CONFIG` naming the offending option. */
  constructor(opts: CommandClientOptions) {
    if (!opts?.bus || typeof opts.bus.request !== "function") {
      throw new SwarmError("E_CONFIG", "bus must be a Bus", { field: "bus" });
    }
    this.#bus = opts.bus;
    this.#clock = opts.clock ?? systemClock;
    this.#issuer = opts.issuer ?? DEFAULT_ISSUER;
    try {
      validateId("issuer", this.#issuer);
    } catch (err) {
      throw new SwarmError("E_CONFIG", (err as Error).message, { field: "issuer" });
    }
    this.#pollMs = whole("watchPollMs", opts.watchPollMs, DEFAULT_WATCH_POLL_MS, 1);
    this.#wire = { source: this.#issuer, clock: this.#clock };
  }

  /**
   * Sends command `name` to `agentId`. `args` is JSON-encoded unless it is already bytes.
   * @returns the receipt: REPLIED (with the agent's reply), DELIVERED, QUEUED or EXPIRED.
   * @throws SwarmError `E_INVALID` for bad ids, options or args; `E_TIMEOUT` (with `context.commandId`,
   * to watch) when no answer came in `timeoutMs`; the swarm's error (`E_OVERFLOW`, `E_CONFLICT`, …).
   */
  async send(
    agentId: string,
    name: string,
    args?: unknown,
    opts: SendCommandOptions = {},
  ): Promise<CommandReceipt> {
    validateId("agentId", agentId);
    validateId("name", name);
    const timeoutMs = positive("timeoutMs", opts.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
    const ttlMs = positive("ttlMs", opts.ttlMs ?? timeoutMs);
    const key = opts.idempotencyKey ?? "";
    const id = key === "" ? ulid() : await commandIdFor(agentId, key);
    const cmd = {
      id,
      agentId,
      name,
      args: encodeArgs(args),
      idempotencyKey: key,
      deadlineMs: this.#clock.now() + ttlMs,
      issuer: this.#issuer,
    };
    const data = encodeMsg(this.#wire, "swarmlink.v1.Command", cmd, { ttlMs: timeoutMs });
    const headers = opts.conflate ? { [CONFLATE_HEADER]: "1" } : undefined;
    try {
      const answer = await this.#bus.request(subjects.commandSend(), data, {
        timeout: timeoutMs,
        ...(opts.signal ? { signal: opts.signal } : {}),
        ...(headers ? { headers } : {}),
      });
      return decodeAnswer(answer.data, "swarmlink.v1.CommandReceipt");
    } catch (err) {
      if (!isSwarmError(err, "E_TIMEOUT")) throw err;
      throw new SwarmError(
        "E_TIMEOUT",
        "no receipt in time; watch the command",
        { commandId: id, timeoutMs },
        { cause: err },
      );
    }
  }

  /**
   * The current receipt of a command.
   * @throws SwarmError `E_NOT_FOUND` when the swarm has none (never sent, or forgotten after its grace).
   */
  async get(
    commandId: string,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<CommandReceipt> {
    const timeout = positive("timeoutMs", opts.timeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);
    const answer = await this.#bus.request(subjects.commandGet(commandId), new Uint8Array(0), {
      timeout,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    return decodeAnswer(answer.data, "swarmlink.v1.CommandReceipt");
  }

  /**
   * The receipt as it stands, then every move forward, until it settles (REPLIED or EXPIRED).
   * Break out of the loop or abort `signal` to stop early.
   * @throws SwarmError `E_NOT_FOUND` when there is no receipt; `E_ABORTED` when `signal` fires.
   */
  watch(commandId: string, opts: { signal?: AbortSignal } = {}): AsyncIterable<CommandReceipt> {
    validateId("commandId", commandId);
    const deps = {
      bus: this.#bus,
      clock: this.#clock,
      pollMs: this.#pollMs,
      get: (id: string, signal: AbortSignal | undefined) => this.get(id, signal ? { signal } : {}),
    };
    return { [Symbol.asyncIterator]: () => watchReceipt(deps, commandId, opts.signal) };
  }
}

/** Command args as bytes: bytes as they are, nothing as empty, anything else as JSON. */
export function encodeArgs(args: unknown): Uint8Array {
  if (args instanceof Uint8Array) return args;
  if (args === undefined) return new Uint8Array(0);
  let json: string | undefined;
  try {
    json = JSON.stringify(args);
  } catch (err) {
    throw new SwarmError("E_INVALID", "args must be JSON-serialisable", { field: "args" }, { cause: err });
  }
  if (json === undefined)
    throw new SwarmError("E_INVALID", "args must be JSON-serialisable", { field: "args" });
  return new TextEncoder().encode(json);
}

function positive(field: string, value: unknown): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new SwarmError("E_INVALID", `${field} must be a whole number of ms ≥ 1`, { field, value });
  }
  return value;
}
