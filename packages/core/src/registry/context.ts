import {
  encodeEnvelope,
  isSwarmError,
  type PayloadInit,
  type PayloadType,
  SwarmError,
  subjects,
  toSwarmError,
  wrap,
} from "@swarmlink/protocol";
import type { Msg } from "@swarmlink/transport";
import type { AgentIndex } from "./agent-index.js";
import type { PresenceInit } from "./convert.js";
import type { ParsedRegistryOptions } from "./options.js";

/** Running counts of what the registry saw and did; `Registry.stats()` reports them. */
export interface RegistryCounters {
  registrations: number;
  deregistrations: number;
  heartbeats: number;
  /** Heartbeats of an older epoch than the record's (a half-open old connection): ignored. */
  staleHeartbeats: number;
  /** Heartbeats of agents the index does not hold (or not at that epoch yet). */
  unknownHeartbeats: number;
  /** "re-register" presences published to agents the registry does not hold as live. */
  reregisterRequests: number;
  /** Presence transitions written by this node's sweeper (and recoveries). */
  transitions: number;
  queries: number;
  poseUpdates: number;
  /** Requests and messages refused as malformed or forbidden (each got an Error reply if it asked). */
  badInputs: number;
  /** Store or Bus operations that failed (the request got an Error reply; the sweep retries). */
  failures: number;
  /** Times the Store watch was re-opened after failing. */
  watchRestarts: number;
}

/** Fresh zeroed counters. */
export function newCounters(): RegistryCounters {
  return {
    registrations: 0,
    deregistrations: 0,
    heartbeats: 0,
    staleHeartbeats: 0,
    unknownHeartbeats: 0,
    reregisterRequests: 0,
    transitions: 0,
    queries: 0,
    poseUpdates: 0,
    badInputs: 0,
    failures: 0,
    watchRestarts: 0,
  };
}

/** What the handlers share: options, the index, counters, and the Bus-side helpers below. */
export interface RegistryContext {
  readonly opts: ParsedRegistryOptions;
  readonly index: AgentIndex;
  readonly counters: RegistryCounters;
  /** Keeps a started piece of work, so that `stop()` can wait for it. */
  track(work: Promise<unknown>): void;
}

/** An encoded Envelope of `type` from this node. */
export function envelope<K extends PayloadType>(
  ctx: RegistryContext,
  type: K,
  payload: PayloadInit<K>,
  correlationId = "",
): Uint8Array {
  const env = wrap(type, payload, { source: ctx.opts.nodeId, correlationId }, { clock: ctx.opts.clock });
  return encodeEnvelope(env);
}

/** Answers a request with a payload; false when it had no reply subject or the Bus refused. */
export function reply<K extends PayloadType>(
  ctx: RegistryContext,
  msg: Msg,
  type: K,
  payload: PayloadInit<K>,
  correlationId: string,
): boolean {
  try {
    return msg.respond(envelope(ctx, type, payload, correlationId));
  } catch (err) {
    ctx.counters.failures++;
    ctx.opts.log.warn({ err, subject: msg.subject }, "registry reply failed");
    return false;
  }
}

/** Answers a request with a `swarmlink.v1.Error` carrying the error's code and message. */
export function replyError(ctx: RegistryContext, msg: Msg, err: unknown, correlationId: string): boolean {
  const e = toSwarmError(err);
  const context: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.context)) {
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") context[k] = String(v);
  }
  return reply(ctx, msg, "swarmlink.v1.Error", { code: e.code, message: e.message, context }, correlationId);
}

/** Publishes a Presence on the agent's presence subject; failures are counted, never thrown. */
export function publishPresence(ctx: RegistryContext, p: PresenceInit & { agentId: string }): void {
  try {
    ctx.opts.bus.publish(subjects.agentPresence(p.agentId), envelope(ctx, "swarmlink.v1.Presence", p));
  } catch (err) {
    ctx.counters.failures++;
    ctx.opts.log.warn({ err, agentId: p.agentId }, "presence publish failed");
  }
}

/**
 * Refuses a request: an Error reply with the error's code. Malformed and forbidden input counts as
 * `badInputs`; refusals of well-formed requests (E_FENCED, E_NOT_FOUND) count nothing; anything else
 * (the Store or the Bus failed) counts as `failures`.
 */
export function refuse(ctx: RegistryContext, msg: Msg, err: unknown, correlationId: string): void {
  const e = toSwarmError(err);
  if (isSwarmError(e, "E_INVALID", "E_FORBIDDEN", "E_DECODE", "E_TOO_LARGE", "E_UNKNOWN_TYPE")) {
    ctx.counters.badInputs++;
    ctx.opts.log.debug({ err: e, subject: msg.subject }, "registry refused bad input");
  } else if (!isSwarmError(e, "E_FENCED", "E_NOT_FOUND")) {
    ctx.counters.failures++;
    ctx.opts.log.warn({ err: e, subject: msg.subject }, "registry request failed");
  }
  replyError(ctx, msg, e, correlationId);
}

/** E_INVALID for a message on a subject the handler does not serve. */
export function notOurs(subject: string): SwarmError {
  return new SwarmError("E_INVALID", "unexpected subject", {
    field: "subject",
    subject: subject.slice(0, 256),
  });
}
