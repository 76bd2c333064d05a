import {
  type Clock,
  createEnvelope,
  decodeEnvelope,
  ERROR_CODES,
  type ErrorCode,
  encodeEnvelope,
  type PayloadInit,
  type PayloadMap,
  type PayloadType,
  STREAMS,
  SwarmError,
  toSwarmError,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import type { StreamConfig } from "@swarmlink/transport";

/**
 * `SWARM_TASKS`: submissions, consumed by the leader's dispatcher (durable consumer `dispatcher`).
 * A work queue: a submission leaves the stream once the dispatcher has written its record. Submit
 * with `msgId` = the task id, so a retried publish inside the stream's duplicate window (120 s) is
 * not stored twice; past the window the dispatcher's record catches it.
 */
export const TASKS_STREAM: Readonly<StreamConfig> = Object.freeze({
  name: STREAMS.tasks.name,
  subjects: [...STREAMS.tasks.subjects],
  retention: "workqueue",
});

/** `SWARM_DLQ`: dead letters (for tasks, a `TaskInfo` whose `reason` says why), kept by limits. */
export const DEAD_LETTER_STREAM: Readonly<StreamConfig> = Object.freeze({
  name: STREAMS.deadLetters.name,
  subjects: [...STREAMS.deadLetters.subjects],
});

/** Encodes `payload` in an Envelope from `source`, ready to publish or send as a reply. */
export function envelopeBytes<K extends PayloadType>(
  type: K,
  payload: PayloadInit<K>,
  source: string,
  clock: Clock,
  correlationId?: string,
): Uint8Array {
  const meta = correlationId === undefined ? { source } : { source, correlationId };
  return encodeEnvelope(wrap(type, payload, meta, { clock }));
}

/** An Envelope of `type` around a payload already encoded as one, from `source`. */
export function encodedEnvelopeBytes(
  type: PayloadType,
  payload: Uint8Array,
  source: string,
  clock: Clock,
): Uint8Array {
  return encodeEnvelope(createEnvelope({ type, payload, source }, { clock }));
}

/**
 * An Envelope of `swarmlink.v1.Error` for `err`: its code if it is a SwarmError, `E_INTERNAL` otherwise;
 * context values as strings.
 */
export function errorBytes(err: unknown, source: string, clock: Clock, correlationId?: string): Uint8Array {
  return envelopeBytes("swarmlink.v1.Error", errorPayloadOf(err), source, clock, correlationId);
}

/** The wire `Error` of `err`, as {@link errorBytes} sends it. */
export function errorPayloadOf(err: unknown): {
  code: string;
  message: string;
  context: Record<string, string>;
} {
  const e = toSwarmError(err);
  const context: Record<string, string> = {};
  for (const [k, v] of Object.entries(e.context)) {
    if (v !== undefined) context[k] = typeof v === "string" ? v : (JSON.stringify(v) ?? String(v));
  }
  return { code: e.code, message: e.message, context };
}

/**
 * Reads a reply: the payload of an Envelope of `type`, or, for an Envelope of `swarmlink.v1.Error`,
 * throws it as a SwarmError (an unknown code becomes `E_INTERNAL` with `context.code`).
 *
 * @throws SwarmError with the reply's code, or `E_DECODE` / `E_INVALID` for a malformed reply.
 */
export function readReply<K extends PayloadType>(data: Uint8Array, type: K): PayloadMap[K] {
  const env = decodeEnvelope(data);
  if (env.type === "swarmlink.v1.Error" && type !== "swarmlink.v1.Error") {
    throw swarmErrorOf(unwrapAs(env, "swarmlink.v1.Error"));
  }
  return unwrapAs(env, type);
}

/** A wire `Error` as a SwarmError. */
export function swarmErrorOf(e: {
  code: string;
  message: string;
  context: Record<string, string>;
}): SwarmError {
  const known = Object.hasOwn(ERROR_CODES, e.code);
  const code = (known ? e.code : "E_INTERNAL") as ErrorCode;
  return new SwarmError(code, e.message || e.code, known ? { ...e.context } : { ...e.context, code: e.code });
}
