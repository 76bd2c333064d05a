import type { Envelope } from "./envelope.js";
import { SwarmError } from "./errors.js";
import { validateId } from "./ids.js";
import {
  MAX_PRIORITY,
  MAX_SHORT_TEXT_BYTES,
  MAX_SUBJECT_BYTES,
  MAX_TRACESTATE_BYTES,
  MAX_TYPE_NAME_BYTES,
} from "./limits.js";
import { isPayloadType } from "./payloads.js";
import { isUlid } from "./ulid.js";

/**
 * Checks every field of an Envelope: id a ULID, type a qualified name, source an id, a positive
 * time, bounded texts, a well-formed traceparent, priority within range.
 *
 * @throws SwarmError `E_INVALID` with `context.field` naming the first bad field.
 */
export function validateEnvelope(env: Envelope): void {
  checkEnvelope(env, false);
}

/**
 * {@link validateEnvelope}, minus the id when the caller made it with this library's own ULID
 * factory (a ULID by construction).
 * @internal
 */
export function checkEnvelope(env: Envelope, ownId: boolean): void {
  if (!ownId && !isUlid(env.id)) invalid("id", "must be a ULID");
  if (!isTypeName(env.type)) invalid("type", "must be a fully qualified message name");
  validateId("source", env.source);
  if (!Number.isSafeInteger(env.timeMs) || env.timeMs <= 0) invalid("timeMs", "must be a positive integer");
  if (!(env.payload instanceof Uint8Array)) invalid("payload", "must be a Uint8Array");
  checkText("correlationId", env.correlationId, MAX_SHORT_TEXT_BYTES, NO_CONTROLS_RE);
  checkText("replyTo", env.replyTo, MAX_SUBJECT_BYTES, REPLY_SUBJECT_RE);
  if (env.traceparent !== "" && !isTraceparent(env.traceparent)) {
    invalid("traceparent", "must be a W3C traceparent");
  }
  checkText("tracestate", env.tracestate, MAX_TRACESTATE_BYTES, PRINTABLE_ASCII_RE);
  if (!Number.isInteger(env.ttlMs) || env.ttlMs < 0 || env.ttlMs > 0xffffffff) {
    invalid("ttlMs", "must be an integer from 0 to 2^32-1");
  }
  if (!Number.isInteger(env.priority) || env.priority < 0 || env.priority > MAX_PRIORITY) {
    invalid("priority", `must be an integer from 0 to ${MAX_PRIORITY}`);
  }
  checkText("contentType", env.contentType, MAX_SHORT_TEXT_BYTES, PRINTABLE_ASCII_RE);
}

/**
 * The envelope `createEnvelope` checked last, with the values it checked. A check depends on the
 * twelve values alone, so `encodeEnvelope` of that object still holding them (the usual
 * `encodeEnvelope(wrap(…))`) need not check it again; anything else is checked in full. One entry,
 * let go once used, so it keeps at most one envelope alive.
 * @internal
 */
export class LastChecked {
  #env: Envelope | undefined;
  #id = "";
  #type = "";
  #source = "";
  #timeMs = 0;
  #payload: Uint8Array | undefined;
  #correlationId = "";
  #replyTo = "";
  #traceparent = "";
  #tracestate = "";
  #ttlMs = 0;
  #priority = 0;
  #contentType = "";

  remember(env: Envelope): void {
    this.#env = env;
    this.#id = env.id;
    this.#type = env.type;
    this.#source = env.source;
    this.#timeMs = env.timeMs;
    this.#payload = env.payload;
    this.#correlationId = env.correlationId;
    this.#replyTo = env.replyTo;
    this.#traceparent = env.traceparent;
    this.#tracestate = env.tracestate;
    this.#ttlMs = env.ttlMs;
    this.#priority = env.priority;
    this.#contentType = env.contentType;
  }

  /** True when `env` is the remembered envelope with every value unchanged; forgets it either way. */
  take(env: Envelope): boolean {
    if (env !== this.#env) return false;
    this.#env = undefined;
    this.#payload = undefined;
    return (
      env.id === this.#id &&
      env.type === this.#type &&
      env.source === this.#source &&
      env.timeMs === this.#timeMs &&
      env.payload === this.#payload &&
      env.correlationId === this.#correlationId &&
      env.replyTo === this.#replyTo &&
      env.traceparent === this.#traceparent &&
      env.tracestate === this.#tracestate &&
      env.ttlMs === this.#ttlMs &&
      env.priority === this.#priority &&
      env.contentType === this.#contentType
    );
  }
}

// Module constants: a regex literal in the call would make a new RegExp object on every check.
const NO_CONTROLS_RE = /^[^\p{Cc}]*$/u;
const REPLY_SUBJECT_RE = /^(?:[^\s.*>\p{Cc}]+(?:\.[^\s.*>\p{Cc}]+)*)?$/u;
const PRINTABLE_ASCII_RE = /^[\x20-\x7e]*$/;
const ALL_ZEROS_RE = /^0+$/;
const TYPE_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)+$/;
/** A later version's extra fields are printable ASCII, as everything in the header is. */
const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[\x21-\x7e]*)?$/;

function isTypeName(value: unknown): boolean {
  // A type this build knows is a qualified name; only a foreign one needs the pattern.
  if (isPayloadType(value)) return true;
  return typeof value === "string" && value.length <= MAX_TYPE_NAME_BYTES && TYPE_NAME_RE.test(value);
}

/**
 * W3C Trace Context §3.2: version 00 has exactly four fields; a later version may append more.
 * Version ff and all-zero ids are invalid.
 */
function isTraceparent(value: string): boolean {
  if (value.length > MAX_SHORT_TEXT_BYTES) return false;
  const m = TRACEPARENT_RE.exec(value);
  if (!m) return false;
  const [, version, traceId, parentId, , rest] = m;
  if (version === "ff" || (version === "00" && rest !== undefined)) return false;
  return !ALL_ZEROS_RE.test(traceId!) && !ALL_ZEROS_RE.test(parentId!);
}

const encoder = new TextEncoder();

function checkText(field: string, value: unknown, maxBytes: number, allowed: RegExp): void {
  if (value === "") return; // most of these fields are unset
  if (typeof value !== "string") invalid(field, "must be a string");
  // A UTF-16 unit takes one to three bytes of UTF-8: encode only when the length cannot tell.
  if (value.length > maxBytes || (value.length * 3 > maxBytes && encoder.encode(value).length > maxBytes)) {
    invalid(field, `must be at most ${maxBytes} bytes`);
  }
  if (!allowed.test(value) || !value.isWellFormed())
    invalid(field, "contains characters that are not allowed");
}

function invalid(field: string, reason: string): never {
  throw new SwarmError("E_INVALID", `envelope ${field} ${reason}`, { field, reason });
}
