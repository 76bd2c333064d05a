import type $protobuf from "protobufjs/minimal.js";
import { isSwarmError, SwarmError } from "./errors.js";
import { swarmlink } from "./gen/swarmlink.js";
import { DEFAULT_MAX_PAYLOAD_BYTES } from "./limits.js";
import { safeReader } from "./reader.js";

const v1 = swarmlink.v1;

/**
 * Every message that may travel as an Envelope's payload, by the fully qualified name that goes in
 * `Envelope.type`. Parts of messages (Position, Pose, ...) are not payloads on their own. AgentInfo
 * is also the value of a registry record in the Store (`kvKeys.agent(id)`).
 */
const CODECS = {
  "swarmlink.v1.AgentDescriptor": v1.AgentDescriptor,
  "swarmlink.v1.Heartbeat": v1.Heartbeat,
  "swarmlink.v1.Presence": v1.Presence,
  "swarmlink.v1.Telemetry": v1.Telemetry,
  "swarmlink.v1.Command": v1.Command,
  "swarmlink.v1.CommandReply": v1.CommandReply,
  "swarmlink.v1.Task": v1.Task,
  "swarmlink.v1.TaskOffer": v1.TaskOffer,
  "swarmlink.v1.Bid": v1.Bid,
  "swarmlink.v1.Award": v1.Award,
  "swarmlink.v1.TaskResult": v1.TaskResult,
  "swarmlink.v1.ElectionState": v1.ElectionState,
  "swarmlink.v1.Error": v1.Error,
  "swarmlink.v1.AgentQuery": v1.AgentQuery,
  "swarmlink.v1.AgentList": v1.AgentList,
  "swarmlink.v1.AgentInfo": v1.AgentInfo,
  "swarmlink.v1.TaskInfo": v1.TaskInfo,
  "swarmlink.v1.TaskCancel": v1.TaskCancel,
  "swarmlink.v1.TaskQuery": v1.TaskQuery,
  "swarmlink.v1.TaskList": v1.TaskList,
  "swarmlink.v1.CommandReceipt": v1.CommandReceipt,
  "swarmlink.v1.AwardBatch": v1.AwardBatch,
  "swarmlink.v1.TaskResultBatch": v1.TaskResultBatch,
  "swarmlink.v1.TaskReportAcks": v1.TaskReportAcks,
};

type Codecs = typeof CODECS;

/** Fully qualified name of a payload message, e.g. `"swarmlink.v1.Heartbeat"`. */
export type PayloadType = keyof Codecs;

/** Payload type name → the decoded message's type. */
export type PayloadMap = { [K in PayloadType]: InstanceType<Codecs[K]> };

/** What `encodePayload` accepts for a type: the message or a plain object of its fields. */
export type PayloadInit<K extends PayloadType> = Parameters<Codecs[K]["encode"]>[0];

/** Any decoded payload. */
export type Payload = PayloadMap[PayloadType];

/** A decoded payload together with its type name; switch on `type` to narrow `payload`. */
export type TypedPayload = { [K in PayloadType]: { type: K; payload: PayloadMap[K] } }[PayloadType];

/** The generated static API, as this module uses it. */
interface Codec {
  encode(message: object, writer?: $protobuf.Writer): $protobuf.Writer;
  decode(reader: $protobuf.Reader): object;
  verify(message: { [k: string]: unknown }): string | null;
}

/** Every payload type name, in schema order. */
export const PAYLOAD_TYPES: readonly PayloadType[] = Object.freeze(Object.keys(CODECS) as PayloadType[]);

/** True when `name` is a payload type this build knows. */
export function isPayloadType(name: unknown): name is PayloadType {
  return typeof name === "string" && Object.hasOwn(CODECS, name);
}

function codecOf(type: string): Codec {
  if (!isPayloadType(type)) {
    throw new SwarmError("E_UNKNOWN_TYPE", "unknown payload type", { type: String(type).slice(0, 256) });
  }
  return CODECS[type] as unknown as Codec;
}

/**
 * Encodes a payload of the named type. The value is verified against the schema first.
 *
 * @throws SwarmError `E_UNKNOWN_TYPE` for a name this build does not know; `E_ENCODE` when the
 * value does not fit the message (context `reason` says which field).
 *
 * @example
 * ```ts
 * const bytes = encodePayload("swarmlink.v1.Heartbeat", { agentId: "amr-07", epoch: 1, seq: 42 });
 * ```
 */
export function encodePayload<K extends PayloadType>(type: K, value: PayloadInit<K>): Uint8Array {
  const codec = codecOf(type);
  if (typeof value !== "object" || value === null) {
    throw new SwarmError("E_ENCODE", "payload must be an object", { type, reason: typeof value });
  }
  const problem = codec.verify(value as { [k: string]: unknown }) ?? malformedString(value, type);
  if (problem) throw new SwarmError("E_ENCODE", `invalid ${type}: ${problem}`, { type, reason: problem });
  try {
    return codec.encode(value).finish();
  } catch (err) {
    throw new SwarmError("E_ENCODE", `cannot encode ${type}`, { type }, { cause: err });
  }
}

/**
 * Where a string in `value` holds a lone UTF-16 surrogate. protobufjs would encode it as bytes that
 * are not UTF-8, which every decoder (ours included) then refuses; better to refuse it here.
 * Looks only at own properties, which is all protobufjs encodes, walks only what can hold a string
 * (arrays, maps and nested messages, never bytes), and spells the path only when it finds one.
 * Messages nest only a few levels; the depth bound keeps a cyclic object from recursing forever.
 */
function malformedString(value: object, path: string): string | null {
  const where = malformedIn(value, 0);
  return where === null ? null : path + where;
}

/** Where below `value` the first bad string or key is, and which, or null. */
function malformedIn(value: object, depth: number): string | null {
  if (depth > 16) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const where = malformedValue(value[i], depth);
      if (where !== null) return `.${i}${where}`;
    }
    return null;
  }
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    // The key itself stays out of the message: it would carry the lone surrogate into the error.
    if (!key.isWellFormed()) return ": key is not well-formed Unicode";
    const where = malformedValue((value as Record<string, unknown>)[key], depth);
    if (where !== null) return `.${key}${where}`;
  }
  return null;
}

function malformedValue(inner: unknown, depth: number): string | null {
  if (typeof inner === "string") return inner.isWellFormed() ? null : ": string is not well-formed Unicode";
  if (typeof inner !== "object" || inner === null || inner instanceof Uint8Array) return null;
  return malformedIn(inner, depth + 1);
}

/** Options of {@link decodePayload}. */
export interface DecodePayloadOptions {
  /**
   * Largest payload accepted, in bytes; larger input fails before any parsing.
   * @default DEFAULT_MAX_PAYLOAD_BYTES (1 MiB)
   */
  maxBytes?: number;
}

/**
 * Decodes a payload of the named type. Any failure is a SwarmError; nothing else escapes.
 *
 * @throws SwarmError `E_UNKNOWN_TYPE` for a name this build does not know, `E_TOO_LARGE` when
 * `bytes` exceed `maxBytes`, `E_DECODE` when the bytes are not a valid encoding of the type.
 *
 * @example
 * ```ts
 * const hb = decodePayload("swarmlink.v1.Heartbeat", bytes);
 * hb.agentId; // "amr-07"
 * ```
 */
export function decodePayload<K extends PayloadType>(
  type: K,
  bytes: Uint8Array,
  options?: DecodePayloadOptions,
): PayloadMap[K];
export function decodePayload(type: string, bytes: Uint8Array, options?: DecodePayloadOptions): Payload;
export function decodePayload(type: string, bytes: Uint8Array, options: DecodePayloadOptions = {}): Payload {
  const codec = codecOf(type);
  return decodeWith(codec, type, bytes, options.maxBytes ?? DEFAULT_MAX_PAYLOAD_BYTES) as Payload;
}

/**
 * Decodes `bytes` with a generated codec, turning every failure into a SwarmError.
 * @internal
 */
export function decodeWith(
  codec: Pick<Codec, "decode">,
  type: string,
  bytes: Uint8Array,
  maxBytes: number,
): object {
  if (!(bytes instanceof Uint8Array)) {
    throw new SwarmError("E_DECODE", `${type}: input is not bytes`, { type, reason: typeof bytes });
  }
  if (bytes.length > maxBytes) {
    throw new SwarmError("E_TOO_LARGE", `${type}: ${bytes.length} bytes, limit ${maxBytes}`, {
      type,
      bytes: bytes.length,
      maxBytes,
    });
  }
  try {
    return codec.decode(safeReader(bytes));
  } catch (err) {
    const reason = isSwarmError(err) ? err.message : err instanceof Error ? err.message : String(err);
    throw new SwarmError(
      "E_DECODE",
      `${type}: ${reason}`,
      { type, bytes: bytes.length, reason },
      { cause: err },
    );
  }
}
