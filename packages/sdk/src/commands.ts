import {
  type Clock,
  type Command,
  CommandStatus,
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  type PayloadInit,
  SwarmError,
  subjectPatterns,
  toSwarmError,
  unwrapAs,
  validateId,
  wrap,
} from "@swarmlink/protocol";
import type { Bus, Msg, Subscription } from "@swarmlink/transport";
import type { CountMalformed } from "./frames.js";
import { fromJsonBytes, toJsonBytes } from "./json.js";
import { RecentMap } from "./recent.js";

/** What a command handler gets besides the args. */
export interface CommandContext {
  /** The command as sent (id, issuer, deadline, raw args). */
  command: Command;
  /** Aborts at the command's deadline (ttl) and when the agent closes. */
  signal: AbortSignal;
}

/** Answers one command: its return value (JSON) is the OK result; a thrown SwarmError an ERROR with its code. */
export type CommandHandler = (args: unknown, ctx: CommandContext) => unknown;

type ReplyInit = PayloadInit<"swarmlink.v1.CommandReply">;

/**
 * Serves `subjectPatterns.agentCommands(agentId)`: each Command request gets a CommandReply. The
 * reply of a command id already answered (delivery is at-least-once) is answered again from a
 * bounded memory of recent ids, without running the handler twice.
 */
export class CommandServer {
  readonly #bus: Bus;
  readonly #clock: Clock;
  readonly #agentId: string;
  readonly #handlers = new Map<string, CommandHandler>();
  readonly #recent: RecentMap<Promise<ReplyInit>>;
  readonly #stop = new AbortController();
  readonly #malformed: CountMalformed;
  #sub: Subscription | undefined;
  /** Commands run (repeats not counted). */
  runs = 0;

  constructor(bus: Bus, clock: Clock, agentId: string, recentIds: number, malformed: CountMalformed) {
    this.#bus = bus;
    this.#clock = clock;
    this.#agentId = agentId;
    this.#recent = new RecentMap(recentIds);
    this.#malformed = malformed;
  }

  /** Subscribes (once, before registering, so nothing routed to the agent finds no one). */
  start(): void {
    this.#sub ??= this.#bus.subscribe(subjectPatterns.agentCommands(this.#agentId), {
      callback: (_e, m) => void this.#serve(m),
    });
  }

  on(name: string, handler: CommandHandler): () => void {
    validateId("name", name);
    if (typeof handler !== "function")
      throw new SwarmError("E_INVALID", "handler must be a function", { field: "handler" });
    if (this.#handlers.has(name)) throw new SwarmError("E_EXISTS", `a handler for ${name} exists`, { name });
    this.#handlers.set(name, handler);
    return () => {
      if (this.#handlers.get(name) === handler) this.#handlers.delete(name);
    };
  }

  close(): void {
    this.#stop.abort(new SwarmError("E_CLOSED", "agent closed"));
    this.#sub?.unsubscribe();
  }

  async #serve(m: Msg): Promise<void> {
    let env: Envelope;
    let cmd: Command;
    try {
      env = decodeEnvelope(m.data);
      cmd = unwrapAs(env, "swarmlink.v1.Command");
    } catch {
      this.#malformed("command");
      return; // not a command: nothing to answer
    }
    let reply = this.#recent.get(cmd.id);
    if (!reply) {
      reply = this.#answer(cmd);
      this.#recent.set(cmd.id, reply);
    }
    const out = wrap(
      "swarmlink.v1.CommandReply",
      await reply,
      { source: this.#agentId, correlationId: env.id },
      { clock: this.#clock },
    );
    try {
      m.respond(encodeEnvelope(out));
    } catch {
      // the link is down or closed: the issuer's CommandClient retries or times out
    }
  }

  async #answer(cmd: Command): Promise<ReplyInit> {
    const base = { id: cmd.id, agentId: this.#agentId };
    const handler = this.#handlers.get(cmd.name);
    if (!handler)
      return {
        ...base,
        status: CommandStatus.COMMAND_STATUS_UNKNOWN_COMMAND,
        error: errorOf(new SwarmError("E_NOT_FOUND", `no handler for ${cmd.name}`)),
      };
    const deadline = Number(cmd.deadlineMs ?? 0);
    const left = deadline > 0 ? deadline - this.#clock.now() : Number.POSITIVE_INFINITY;
    if (left <= 0)
      return {
        ...base,
        status: CommandStatus.COMMAND_STATUS_TIMEOUT,
        error: errorOf(new SwarmError("E_TIMEOUT", "the command's deadline has passed")),
      };
    const ac = new AbortController();
    const onStop = () => ac.abort(this.#stop.signal.reason);
    this.#stop.signal.addEventListener("abort", onStop, { once: true });
    const timer = Number.isFinite(left)
      ? this.#clock.setTimeout(() => ac.abort(new SwarmError("E_TIMEOUT", "command deadline")), left)
      : undefined;
    this.runs++;
    try {
      const result = await handler(fromJsonBytes(cmd.args), { command: cmd, signal: ac.signal });
      return { ...base, status: CommandStatus.COMMAND_STATUS_OK, result: toJsonBytes(result, "result") };
    } catch (err) {
      return { ...base, status: CommandStatus.COMMAND_STATUS_ERROR, error: errorOf(err) };
    } finally {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      this.#stop.signal.removeEventListener("abort", onStop);
    }
  }
}

/** A SwarmError (or anything thrown) as the wire's Error; context values as strings. */
export function errorOf(err: unknown): { code: string; message: string; context: Record<string, string> } {
  const e = toSwarmError(err);
  const context: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.context ?? {})) {
    if (v !== undefined) context[k] = typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
  }
  return { code: e.code, message: e.message, context };
}
