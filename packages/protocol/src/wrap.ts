import {
  buildEnvelope,
  CONTENT_TYPE_PROTOBUF,
  type CreateEnvelopeOptions,
  type Envelope,
  type EnvelopeInit,
} from "./envelope.js";
import { SwarmError } from "./errors.js";
import {
  type DecodePayloadOptions,
  decodePayload,
  encodePayload,
  type PayloadInit,
  type PayloadMap,
  type PayloadType,
  type TypedPayload,
} from "./payloads.js";

/** Envelope fields besides `type` and `payload`, which `wrap` sets itself: `source` and the rest. */
export type EnvelopeMeta = Omit<EnvelopeInit, "type" | "payload" | "contentType">;

/**
 * Encodes a payload and puts it in a new Envelope of its type.
 *
 * @throws SwarmError `E_UNKNOWN_TYPE`, `E_ENCODE` (see `encodePayload`) or `E_INVALID` (see
 * `createEnvelope`).
 *
 * @example
 * ```ts
 * const env = wrap("swarmlink.v1.Heartbeat", { agentId: "amr-07", epoch, seq }, { source: "amr-07" });
 * const bytes = encodeEnvelope(env);
 * ```
 */
export function wrap<K extends PayloadType>(
  type: K,
  payload: PayloadInit<K>,
  meta: EnvelopeMeta,
  options: CreateEnvelopeOptions = {},
): Envelope {
  // No `{ ...meta, type, payload }`: on Node 20 that spread costs more than checking the envelope.
  return buildEnvelope(meta, type, encodePayload(type, payload), options);
}

/**
 * Decodes an Envelope's payload by its `type`. Switch on the result's `type` to narrow `payload`.
 *
 * @throws SwarmError `E_UNKNOWN_TYPE` when this build does not know the type, `E_INVALID` when the
 * content type is not protobuf, `E_DECODE` / `E_TOO_LARGE` as `decodePayload`.
 *
 * @example
 * ```ts
 * const msg = unwrap(env);
 * if (msg.type === "swarmlink.v1.Heartbeat") registry.renew(msg.payload.agentId);
 * ```
 */
export function unwrap(env: Envelope, options?: DecodePayloadOptions): TypedPayload {
  checkContentType(env);
  return { type: env.type, payload: decodePayload(env.type, env.payload, options) } as TypedPayload;
}

/**
 * Decodes an Envelope's payload, which must be of the given type.
 *
 * @throws SwarmError `E_INVALID` when the envelope carries another type or a non-protobuf payload,
 * else as {@link unwrap}.
 *
 * @example
 * ```ts
 * const award = unwrapAs(env, "swarmlink.v1.Award");
 * if (award.fencingToken < highestSeen) refuse();
 * ```
 */
export function unwrapAs<K extends PayloadType>(
  env: Envelope,
  type: K,
  options?: DecodePayloadOptions,
): PayloadMap[K] {
  if (env.type !== type) {
    throw new SwarmError("E_INVALID", `expected a ${type}, got ${env.type}`, {
      field: "type",
      expected: type,
      actual: env.type,
    });
  }
  checkContentType(env);
  return decodePayload(type, env.payload, options);
}

function checkContentType(env: Envelope): void {
  if (env.contentType !== "" && env.contentType !== CONTENT_TYPE_PROTOBUF) {
    throw new SwarmError("E_INVALID", `payload is ${env.contentType}, not protobuf`, {
      field: "contentType",
      contentType: env.contentType,
    });
  }
}
