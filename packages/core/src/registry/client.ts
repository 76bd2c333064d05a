import {
  type Clock,
  decodeEnvelope,
  ERROR_CODES,
  type ErrorCode,
  encodeEnvelope,
  type PayloadInit,
  type PayloadMap,
  type PayloadType,
  SwarmError,
  subjects,
  type swarmlink,
  systemClock,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import type { Bus } from "@swarmlink/transport";
import type { AgentQuery, PresenceEvent } from "../types.js";
import type { AgentInfoInit, DescriptorInit } from "./agent.js";
import { presenceEventOf } from "./convert.js";
import { toWireQuery } from "./query-wire.js";

/** Options of the registry client calls. */
export interface RegistryCallOptions {
  /** Deadline of the request, in ms. @default 5000 */
  timeout?: number;
  signal?: AbortSignal;
  /** Stamps `timeMs` on the envelopes sent. @default systemClock */
  clock?: Clock;
}

/**
 * Registers an agent (a new session) and returns its presence: keep `epoch` for heartbeats and
 * deregistration.
 *
 * @throws SwarmError with the registry's code (E_INVALID, E_FORBIDDEN, E_CONFLICT, E_UNAVAILABLE…),
 * `E_TIMEOUT` or `E_NO_RESPONDERS` from the Bus.
 *
 * @example
 * ```ts
 * const { epoch } = await registerAgent(bus, { id: "amr-07", capabilities: ["lift"], credits: 2 });
 * setInterval(() => sendHeartbeat(bus, { agentId: "amr-07", epoch, seq: ++seq }), 1000);
 * ```
 */
export async function registerAgent(
  bus: Bus,
  descriptor: DescriptorInit & { id: string },
  opts: RegistryCallOptions = {},
): Promise<PresenceEvent> {
  const subject = subjects.agentRegister(descriptor.id);
  const p = await call(
    bus,
    subject,
    descriptor.id,
    "swarmlink.v1.AgentDescriptor",
    descriptor,
    "swarmlink.v1.Presence",
    opts,
  );
  return presenceOrThrow(p);
}

/** Leaves the swarm: the record goes OFFLINE with `reason` (default "deregistered"). Throws as `registerAgent`, E_FENCED for an old epoch. */
export async function deregisterAgent(
  bus: Bus,
  agentId: string,
  epoch: number,
  opts: RegistryCallOptions & { reason?: string } = {},
): Promise<PresenceEvent> {
  const payload = { agentId, epoch, reason: opts.reason ?? "" };
  const subject = subjects.agentDeregister(agentId);
  const p = await call(
    bus,
    subject,
    agentId,
    "swarmlink.v1.Presence",
    payload,
    "swarmlink.v1.Presence",
    opts,
  );
  return presenceOrThrow(p);
}

/** Publishes one heartbeat (fire and forget). @throws SwarmError from the Bus (E_CLOSED…). */
export function sendHeartbeat(
  bus: Bus,
  hb: { agentId: string; epoch: number; seq: number; inFlight?: number; load?: number },
  opts: { clock?: Clock } = {},
): void {
  const env = wrap(
    "swarmlink.v1.Heartbeat",
    hb,
    { source: hb.agentId },
    { clock: opts.clock ?? systemClock },
  );
  bus.publish(subjects.agentHeartbeat(hb.agentId), encodeEnvelope(env));
}

/** Asks any node's registry; AgentInfo as the wire has it (at most the node's `maxReplyAgents`). */
export async function queryAgents(
  bus: Bus,
  query: AgentQuery,
  opts: RegistryCallOptions & { source?: string } = {},
): Promise<AgentInfoInit[]> {
  const subject = subjects.registryQuery();
  const wire = toWireQuery(query);
  const list = await call(
    bus,
    subject,
    opts.source ?? "client",
    "swarmlink.v1.AgentQuery",
    wire,
    "swarmlink.v1.AgentList",
    opts,
  );
  return list.agents;
}

async function call<K extends PayloadType, R extends PayloadType>(
  bus: Bus,
  subject: string,
  source: string,
  type: K,
  payload: PayloadInit<K>,
  replyType: R,
  opts: RegistryCallOptions,
): Promise<PayloadMap[R]> {
  const env = wrap(type, payload, { source }, { clock: opts.clock ?? systemClock });
  const msg = await bus.request(subject, encodeEnvelope(env), { timeout: opts.timeout, signal: opts.signal });
  const answer = decodeEnvelope(msg.data);
  if (answer.type === "swarmlink.v1.Error") throw remoteError(unwrapAs(answer, "swarmlink.v1.Error"));
  return unwrapAs(answer, replyType);
}

/** A registry's Error reply as a SwarmError of the same code (E_INTERNAL for a code this build lacks). */
export function remoteError(e: swarmlink.v1.Error): SwarmError {
  const known = Object.hasOwn(ERROR_CODES, e.code);
  const code = (known ? e.code : "E_INTERNAL") as ErrorCode;
  return new SwarmError(code, e.message, { ...e.context, ...(known ? {} : { remoteCode: e.code }) });
}

function presenceOrThrow(p: swarmlink.v1.Presence): PresenceEvent {
  const e = presenceEventOf(p);
  if (!e) throw new SwarmError("E_DECODE", "registry replied with a presence of no known status");
  return e;
}
