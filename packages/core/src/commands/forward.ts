import {
  type Command,
  type CommandReply,
  CommandStatus,
  decodeEnvelope,
  isSwarmError,
  SwarmError,
  subjects,
  swarmlink,
  toSwarmError,
  unwrapAs,
} from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";
import { encodeMsg, toErrorPayload, type WireContext } from "./wire.js";

/** How one delivery to an agent ended. */
export type ForwardOutcome =
  /** The agent answered (a reply it could not be read is turned into an ERROR reply, `malformed`). */
  | { kind: "replied"; reply: CommandReply; malformed: boolean }
  /** No answer by the command's deadline. */
  | { kind: "expired" }
  /** No answer within `deliveryTimeoutMs`, but the deadline has not passed: the agent may still run it. */
  | { kind: "unanswered" }
  /** Nobody serves the agent's command subject: it is not connected after all. */
  | { kind: "unreachable" }
  /** The Bus failed (closed, unavailable) or the caller aborted. */
  | { kind: "failed"; error: SwarmError };

/**
 * Sends `cmd` to its agent on `subjects.agentCommand(agentId, name)` as a request and waits for the
 * `CommandReply` until the deadline or `timeoutMs`, whichever comes first. The request envelope's
 * `ttlMs` is that wait, so the agent knows when nobody listens any more.
 */
export async function forward(
  bus: Bus,
  wire: WireContext,
  cmd: Command,
  opts: { timeoutMs: number; signal?: AbortSignal },
): Promise<ForwardOutcome> {
  const now = wire.clock.now();
  const waitMs = Math.max(1, Math.min(opts.timeoutMs, cmd.deadlineMs - now));
  let data: Uint8Array;
  try {
    const request = encodeMsg(wire, "swarmlink.v1.Command", cmd, { ttlMs: waitMs, correlationId: cmd.id });
    const answer = await bus.request(subjects.agentCommand(cmd.agentId, cmd.name), request, {
      timeout: waitMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    data = answer.data;
  } catch (err) {
    if (isSwarmError(err, "E_TIMEOUT")) {
      return wire.clock.now() >= cmd.deadlineMs || waitMs >= cmd.deadlineMs - now
        ? { kind: "expired" }
        : { kind: "unanswered" };
    }
    if (isSwarmError(err, "E_NO_RESPONDERS")) return { kind: "unreachable" };
    return { kind: "failed", error: toSwarmError(err) };
  }
  return readReply(cmd, data);
}

/** The agent's answer as a reply to `cmd`: its CommandReply, an Error turned into one, or ERROR `E_DECODE`. */
function readReply(cmd: Command, data: Uint8Array): ForwardOutcome {
  const base = { id: cmd.id, agentId: cmd.agentId };
  try {
    const env = decodeEnvelope(data);
    if (env.type === "swarmlink.v1.Error") {
      const error = unwrapAs(env, "swarmlink.v1.Error");
      const reply = swarmlink.v1.CommandReply.create({
        ...base,
        status: CommandStatus.COMMAND_STATUS_ERROR,
        error,
      });
      return { kind: "replied", reply, malformed: false };
    }
    const reply = unwrapAs(env, "swarmlink.v1.CommandReply");
    if (reply.id !== cmd.id) {
      throw new SwarmError("E_INVALID", "the reply answers another command", { field: "id", id: reply.id });
    }
    reply.agentId = cmd.agentId;
    return { kind: "replied", reply, malformed: false };
  } catch (err) {
    const error = toErrorPayload(
      new SwarmError("E_DECODE", "the agent's reply could not be read", {}, { cause: err }),
    );
    error.context = { ...error.context, reason: (err as Error).message.slice(0, 256) };
    const reply = swarmlink.v1.CommandReply.create({
      ...base,
      status: CommandStatus.COMMAND_STATUS_ERROR,
      error,
    });
    return { kind: "replied", reply, malformed: true };
  }
}
