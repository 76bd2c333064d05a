import { systemClock } from "./clock.js";
import {
  type CreateEnvelopeOptions,
  createEnvelope,
  type EnvelopeCodecOptions,
  encodeEnvelope,
  tooLarge,
} from "./envelope.js";
import { SwarmError } from "./errors.js";
import { DEFAULT_MAX_ENVELOPE_BYTES } from "./limits.js";
import { isOwnUlidFactory, isUlid, ulid } from "./ulid.js";
import {
  bytesFieldSize,
  varintFieldSize,
  writeBytes,
  writeRaw,
  writeString,
  writeVarintField,
} from "./wire-writer.js";

/** Encodes one payload in an Envelope; see {@link envelopeEncoder}. */
export type EnvelopeEncoder = (payload: Uint8Array) => Uint8Array;

/** Options of {@link envelopeEncoder}: those of `createEnvelope` and `encodeEnvelope`. */
export type EnvelopeEncoderOptions = CreateEnvelopeOptions & EnvelopeCodecOptions;

/** Any ULID: the encoder's one sample envelope, whose id it never sends. */
const SAMPLE_ID = "00000000000000000000000000";
/** The id field: tag 1, length 26, then the ULID's 26 ASCII characters. */
const ID_FIELD_BYTES = 2 + 26;

/**
 * An encoder of many Envelopes of one `type` from one `source`, each with a fresh ULID and the
 * clock's time and nothing else set: `encodeEnvelope(createEnvelope({ type, source, payload }))`,
 * byte for byte, for a sender that sends the same kind of message again and again (a leader's task
 * events). Type and source are checked and encoded once, here; each call writes the id, the time
 * and the payload around them.
 *
 * @throws SwarmError `E_INVALID` here when `type` or `source` is malformed; the encoder throws
 * `E_TOO_LARGE` when an envelope would exceed `maxBytes`, and `E_INVALID` for a `newId` factory
 * that makes something other than a ULID.
 *
 * @example
 * ```ts
 * const taskEvent = envelopeEncoder("swarmlink.v1.TaskInfo", "coordinator-1");
 * bus.publish(subjects.taskEvents(id), taskEvent(infoBytes));
 * ```
 */
export function envelopeEncoder(
  type: string,
  source: string,
  options: EnvelopeEncoderOptions = {},
): EnvelopeEncoder {
  const clock = options.clock ?? systemClock;
  const newId = options.newId ?? ulid;
  const ownId = isOwnUlidFactory(newId);
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_ENVELOPE_BYTES;
  // The checks createEnvelope would make of type and source, made once; the bytes after the id up
  // to the time (fields 2 and 3, in number order) never change.
  const sample = encodeEnvelope(createEnvelope({ type, source, id: SAMPLE_ID, timeMs: 1 }));
  const fixed = Buffer.from(sample.subarray(ID_FIELD_BYTES, sample.length - varintFieldSize(1)));
  return (payload) => {
    if (!(payload instanceof Uint8Array)) {
      throw new SwarmError("E_INVALID", "envelope payload must be a Uint8Array", { field: "payload" });
    }
    const timeMs = clock.now();
    const id = newId(timeMs);
    if (!ownId && !isUlid(id)) {
      throw new SwarmError("E_INVALID", "envelope id must be a ULID", {
        field: "id",
        reason: "must be a ULID",
      });
    }
    if (!Number.isSafeInteger(timeMs) || timeMs <= 0) {
      throw new SwarmError("E_INVALID", "envelope timeMs must be a positive integer", { field: "timeMs" });
    }
    const size = ID_FIELD_BYTES + fixed.length + varintFieldSize(timeMs) + bytesFieldSize(payload.length);
    if (size > maxBytes) throw tooLarge(size, maxBytes);
    const buf = Buffer.allocUnsafe(size);
    let p = writeRaw(buf, writeString(buf, 0, 10, id, 26), fixed);
    p = writeVarintField(buf, p, 32, timeMs);
    writeBytes(buf, p, 42, payload);
    return buf;
  };
}
