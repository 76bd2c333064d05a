import { type Clock, systemClock } from "./clock.js";
import { SwarmError } from "./errors.js";
import { swarmlink } from "./gen/swarmlink.js";
import { validateId } from "./ids.js";
import {
  DEFAULT_MAX_ENVELOPE_BYTES,
  MAX_PRIORITY,
  MAX_SHORT_TEXT_BYTES,
  MAX_SUBJECT_BYTES,
  MAX_TRACESTATE_BYTES,
  MAX_TYPE_NAME_BYTES,
} from "./limits.js";
import { decodeWith } from "./payloads.js";
import { isUlid, type UlidFactory, ulid } from "./ulid.js";

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
  const timeMs = init.timeMs ?? (options.clock ?? systemClock).now();
  const env: Envelope = {
    id: init.id ?? (options.newId ?? ulid)(timeMs),
    type: init.type,
    source: init.source,
    timeMs,
    payload: init.payload ?? new Uint8Array(0),
    correlationId: init.correlationId ?? "",
    replyTo: init.replyTo ?? "",
    traceparent: init.traceparent ?? "",
    tracestate: init.tracestate ?? "",
    ttlMs: init.ttlMs ?? 0,
    priority: init.priority ?? 0,
    contentType: init.contentType ?? "",
  };
  validateEnvelope(env);
  return env;
}

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
  validateEnvelope(env);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES;
  // Cheap early refusal: the payload alone is over the limit.
  if (env.payload.length > maxBytes) throw tooLarge(env.payload.length, maxBytes);
  const bytes = swarmlink.v1.Envelope.encode(env).finish();
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

/**
 * Checks every field of an Envelope: id a ULID, type a qualified name, source an id, a positive
 * time, bounded texts, a well-formed traceparent, priority within range.
 *
 * @throws SwarmError `E_INVALID` with `context.field` naming the first bad field.
 */
export function validateEnvelope(env: Envelope): void {
  if (!isUlid(env.id)) invalid("id", "must be a ULID");
  if (!isTypeName(env.type)) invalid("type", "must be a fully qualified message name");
  validateId("source", env.source);
  if (!Number.isSafeInteger(env.timeMs) || env.timeMs <= 0) invalid("timeMs", "must be a positive integer");
  if (!(env.payload instanceof Uint8Array)) invalid("payload", "must be a Uint8Array");
  checkText("correlationId", env.correlationId, MAX_SHORT_TEXT_BYTES, /^[^\p{Cc}]*$/u);
  checkText("replyTo", env.replyTo, MAX_SUBJECT_BYTES, /^(?:[^\s.*>\p{Cc}]+(?:\.[^\s.*>\p{Cc}]+)*)?$/u);
  if (env.traceparent !== "" && !isTraceparent(env.traceparent)) {
    invalid("traceparent", "must be a W3C traceparent");
  }
  checkText("tracestate", env.tracestate, MAX_TRACESTATE_BYTES, /^[\x20-\x7e]*$/);
  if (!Number.isInteger(env.ttlMs) || env.ttlMs < 0 || env.ttlMs > 0xffffffff) {
    invalid("ttlMs", "must be an integer from 0 to 2^32-1");
  }
  if (!Number.isInteger(env.priority) || env.priority < 0 || env.priority > MAX_PRIORITY) {
    invalid("priority", `must be an integer from 0 to ${MAX_PRIORITY}`);
  }
  checkText("contentType", env.contentType, MAX_SHORT_TEXT_BYTES, /^[\x20-\x7e]*$/);
}

/** True when the envelope has a TTL and `nowMs` is past it. */
export function isExpired(env: Pick<Envelope, "timeMs" | "ttlMs">, nowMs: number): boolean {
  return env.ttlMs > 0 && nowMs > env.timeMs + env.ttlMs;
}

const TYPE_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;
const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[^\s]*)?$/;

function isTypeName(value: unknown): boolean {
  return typeof value === "string" && value.length <= MAX_TYPE_NAME_BYTES && TYPE_NAME_RE.test(value);
}

/**
 * W3C Trace Context §3.2: version 00 has exactly four fields; a later version may append more.
 * Version ff and all-zero ids are invalid.
 */
function isTraceparent(value: string): boolean {
  const m = TRACEPARENT_RE.exec(value);
  if (!m) return false;
  const [, version, traceId, parentId, , rest] = m;
  if (version === "ff" || (version === "00" && rest !== undefined)) return false;
  return !/^0+$/.test(traceId!) && !/^0+$/.test(parentId!);
}

const encoder = new TextEncoder();
const LONE_SURROGATE = /\p{Surrogate}/u;

function checkText(field: string, value: unknown, maxBytes: number, allowed: RegExp): void {
  if (typeof value !== "string") invalid(field, "must be a string");
  // A UTF-16 unit takes one to three bytes of UTF-8: encode only when the length cannot tell.
  if (value.length > maxBytes || (value.length * 3 > maxBytes && encoder.encode(value).length > maxBytes)) {
    invalid(field, `must be at most ${maxBytes} bytes`);
  }
  if (!allowed.test(value) || LONE_SURROGATE.test(value))
    invalid(field, "contains characters that are not allowed");
}

function invalid(field: string, reason: string): never {
  throw new SwarmError("E_INVALID", `envelope ${field} ${reason}`, { field, reason });
}

function tooLarge(bytes: number, maxBytes: number): SwarmError {
  return new SwarmError("E_TOO_LARGE", `envelope of ${bytes} bytes exceeds ${maxBytes}`, { bytes, maxBytes });
}
