import { type Clock, systemClock } from "./clock.js";
import { checkEnvelope, LastChecked, validateEnvelope } from "./envelope-check.js";
import { writeEnvelope } from "./envelope-writer.js";
import { SwarmError } from "./errors.js";
import { swarmlink } from "./gen/swarmlink.js";
import { DEFAULT_MAX_ENVELOPE_BYTES } from "./limits.js";
import { decodeWith } from "./payloads.js";
import { isOwnUlidFactory, type UlidFactory, ulid } from "./ulid.js";

/** Content type of a payload that is the protobuf encoding of the envelope's `type`. */
export const CONTENT_TYPE_PROTOBUF = "application/x-protobuf";

/**
 * The one message on the Bus, as a plain object with every field present. Fields mirror
 * `swarmlink.v1.Envelope` (schemas/swarmlink/v1/envelope.proto); empty string and 0 mean unset.
 */
export interface Envelope {
  /** ULID of this message. */
  id: string;
  /** Fully qualified payload type, e.g. `"swarmlink.v1.Heartbeat"`. */
  type: string;
  /** Id of the agent or node that produced the message. */
  source: string;
  /** Creation time, ms since the Unix epoch. */
  timeMs: number;
  /** The payload bytes. After decoding, a view into the decoded buffer: copy it to keep it. */
  payload: Uint8Array;
  /** Id of the message this one answers or continues. */
  correlationId: string;
  /** Subject to answer on. */
  replyTo: string;
  /** W3C `traceparent`. */
  traceparent: string;
  /** W3C `tracestate`. */
  tracestate: string;
  /** Time to live in ms from `timeMs`; 0: none. */
  ttlMs: number;
  /** 0 to {@link MAX_PRIORITY}; higher is more urgent. */
  priority: number;
  /** MIME type of `payload`; empty means {@link CONTENT_TYPE_PROTOBUF}. */
  contentType: string;
}

/** What `createEnvelope` needs: `type` and `source`; everything else has a default. */
export type EnvelopeInit = Pick<Envelope, "type" | "source"> & Partial<Omit<Envelope, "type" | "source">>;

/** Options of {@link createEnvelope}. */
export interface CreateEnvelopeOptions {
  /**
   * Source of `timeMs` when the init does not give one.
   * @default systemClock
   */
  clock?: Clock;
  /**
   * Source of `id` when the init does not give one; called with the envelope's time. The default
   * factory is process-wide and monotonic, so its time part never goes back: with a simulated
   * clock behind the real one, pass `monotonicUlid({ clock })` to keep id and time in step.
   * @default ulid (this process's monotonic ULID factory)
   */
  newId?: UlidFactory;
}

/** Options of {@link encodeEnvelope} and {@link decodeEnvelope}. */
export interface EnvelopeCodecOptions {
  /**
   * Largest encoded envelope, in bytes. Decoding checks it before parsing anything.
   * @default DEFAULT_MAX_ENVELOPE_BYTES (1 MiB)
   */
  maxBytes?: number;
}

/**
 * Builds a valid Envelope: a fresh ULID, the current time, defaults for the rest.
 *
 * @throws SwarmError `E_INVALID` naming the field when a given field is malformed.
 *
 * @example
 * ```ts
 * const env = createEnvelope({ type: "swarmlink.v1.Heartbeat", source: "amr-07", payload: bytes });
 * ```
 */
export function createEnvelope(init: EnvelopeInit, options: CreateEnvelopeOptions = {}): Envelope {
  return buildEnvelope(init, init.type, init.payload, options);
}

/**
 * `createEnvelope` with `type` and `payload` given apart from the other fields, so that `wrap`
 * need not copy its caller's fields into a new object first.
 * @internal
 */
export function buildEnvelope(
  fields: Omit<EnvelopeInit, "type" | "payload">,
  type: string,
  payload: Uint8Array | undefined,
  options: CreateEnvelopeOptions,
): Envelope {
  const timeMs = fields.timeMs ?? (options.clock ?? systemClock).now();
  const newId = options.newId ?? ulid;
  const ownId = fields.id === undefined && isOwnUlidFactory(newId);
  const env: Envelope = {
    id: fields.id ?? newId(timeMs),
    type,
    source: fields.source,
    timeMs,
    payload: payload ?? new Uint8Array(0),
    correlationId: fields.correlationId ?? "",
    replyTo: fields.replyTo ?? "",
    traceparent: fields.traceparent ?? "",
    tracestate: fields.tracestate ?? "",
    ttlMs: fields.ttlMs ?? 0,
    priority: fields.priority ?? 0,
    contentType: fields.contentType ?? "",
  };
  checkEnvelope(env, ownId);
  lastChecked.remember(env);
  return env;
}

/** See {@link LastChecked}: spares `encodeEnvelope(createEnvelope(…))` a second check. */
const lastChecked = new LastChecked();

/**
 * Encodes an Envelope for the wire, after checking it.
 *
 * @throws SwarmError `E_INVALID` naming the field when a field is malformed; `E_TOO_LARGE` when
 * the encoding exceeds `maxBytes`.
 *
 * @example
 * ```ts
 * const bytes = encodeEnvelope(env);
 * await bus.publish(subjects.agentHeartbeat(env.source), bytes);
 * ```
 */
export function encodeEnvelope(env: Envelope, options: EnvelopeCodecOptions = {}): Uint8Array {
  if (!lastChecked.take(env)) validateEnvelope(env);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES;
  // Cheap early refusal: the payload alone is over the limit.
  if (env.payload.length > maxBytes) throw tooLarge(env.payload.length, maxBytes);
  const bytes = writeEnvelope(env);
  if (bytes.length > maxBytes) throw tooLarge(bytes.length, maxBytes);
  return bytes;
}

/**
 * Decodes and checks an Envelope from the wire. Whatever the input, it returns a valid Envelope
 * or throws a SwarmError; the payload is not decoded (see `unwrap`), so envelopes of types this
 * build does not know pass through.
 *
 * @throws SwarmError `E_TOO_LARGE` when `bytes` exceed `maxBytes` (checked before parsing),
 * `E_DECODE` when they are not an Envelope, `E_INVALID` naming the field when one is malformed.
 *
 * @example
 * ```ts
 * for await (const msg of sub) {
 *   const env = decodeEnvelope(msg.data, { maxBytes: 64 * 1024 });
 * }
 * ```
 */
export function decodeEnvelope(bytes: Uint8Array, options: EnvelopeCodecOptions = {}): Envelope {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES;
  const m = decodeWith(
    swarmlink.v1.Envelope,
    "swarmlink.v1.Envelope",
    bytes,
    maxBytes,
  ) as swarmlink.v1.Envelope;
  const env: Envelope = {
    id: m.id,
    type: m.type,
    source: m.source,
    timeMs: m.timeMs,
    payload: m.payload,
    correlationId: m.correlationId,
    replyTo: m.replyTo,
    traceparent: m.traceparent,
    tracestate: m.tracestate,
    ttlMs: m.ttlMs,
    priority: m.priority,
    contentType: m.contentType,
  };
  validateEnvelope(env);
  return env;
}

/** True when the envelope has a TTL and `nowMs` is past it. */
export function isExpired(env: Pick<Envelope, "timeMs" | "ttlMs">, nowMs: number): boolean {
  return env.ttlMs > 0 && nowMs > env.timeMs + env.ttlMs;
}

/** @internal */
export function tooLarge(bytes: number, maxBytes: number): SwarmError {
  return new SwarmError("E_TOO_LARGE", `envelope of ${bytes} bytes exceeds ${maxBytes}`, { bytes, maxBytes });
}
