import type { Envelope } from "./envelope.js";
import {
  bytesFieldSize,
  stringFieldSize,
  utf8Length,
  varintFieldSize,
  writeBytes,
  writeRaw,
  writeString,
  writeVarintField,
} from "./wire-writer.js";

/**
 * The Envelope's wire encoding, written by hand: every message on the Bus is one, so its encoding
 * is on every hop's path. The bytes are exactly protobufjs's for the same checked Envelope (proto3:
 * fields in number order, empty strings and zeros left out; `envelope-writer.test.ts` compares the
 * two), computed in one sizing pass and written into one buffer, with the type field, which repeats
 * from message to message, kept already encoded.
 *
 * Only for an Envelope that passed `checkEnvelope`: well-formed strings, a positive safe-integer
 * time, ttl and priority within uint32. (A lone surrogate, which the checks refuse, is written as
 * U+FFFD, as Buffer writes it, never as bytes that are not UTF-8.)
 * @internal
 */
export function writeEnvelope(env: Envelope): Uint8Array {
  const type = typeField(env.type);
  const sourceLen = utf8Length(env.source);
  const idLen = utf8Length(env.id);
  const corrLen = utf8Length(env.correlationId);
  const replyLen = utf8Length(env.replyTo);
  const tpLen = utf8Length(env.traceparent);
  const ctLen = utf8Length(env.contentType);
  const tsLen = utf8Length(env.tracestate);
  const size =
    stringFieldSize(idLen) +
    type.length +
    stringFieldSize(sourceLen) +
    varintFieldSize(env.timeMs) +
    bytesFieldSize(env.payload.length) +
    stringFieldSize(corrLen) +
    stringFieldSize(replyLen) +
    stringFieldSize(tpLen) +
    varintFieldSize(env.ttlMs) +
    varintFieldSize(env.priority) +
    stringFieldSize(ctLen) +
    stringFieldSize(tsLen);
  const buf = Buffer.allocUnsafe(size);
  let p = writeString(buf, 0, 10, env.id, idLen);
  p = writeRaw(buf, p, type);
  p = writeString(buf, p, 26, env.source, sourceLen);
  p = writeVarintField(buf, p, 32, env.timeMs);
  p = writeBytes(buf, p, 42, env.payload);
  p = writeString(buf, p, 50, env.correlationId, corrLen);
  p = writeString(buf, p, 58, env.replyTo, replyLen);
  p = writeString(buf, p, 66, env.traceparent, tpLen);
  p = writeVarintField(buf, p, 72, env.ttlMs);
  p = writeVarintField(buf, p, 80, env.priority);
  p = writeString(buf, p, 90, env.contentType, ctLen);
  writeString(buf, p, 98, env.tracestate, tsLen);
  return buf;
}

/** Most type names kept encoded; past it the map starts over, so a flood of foreign names cannot pin it. */
const TYPE_CACHE_LIMIT = 256;
const typeFields = new Map<string, Buffer>();

/**
 * The type field's encoding (tag, length, UTF-8): a process sends a few dozen type names, so each
 * is encoded once. Sources are written each time instead: a gateway sends as many as it has devices.
 */
function typeField(type: string): Buffer {
  let f = typeFields.get(type);
  if (f === undefined) {
    const len = utf8Length(type);
    // A buffer of its own: a slice of Node's shared pool would keep the whole 8 KiB slab alive.
    f = Buffer.allocUnsafeSlow(stringFieldSize(len));
    writeString(f, 0, 18, type, len);
    if (typeFields.size >= TYPE_CACHE_LIMIT) typeFields.clear();
    typeFields.set(type, f);
  }
  return f;
}
