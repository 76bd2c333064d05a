import {
  bytesFieldSize,
  isWireWhole,
  stringFieldSize,
  utf8Length,
  varintFieldSize,
  varintSize,
  writeBytes,
  writeString,
  writeUtf8,
  writeVarint,
  writeVarintField,
} from "@swarmlink/protocol";
import type { ErrorInfo, TaskRecord } from "./record.js";

/**
 * A task record's `swarmlink.v1.TaskInfo` bytes written by hand around its task's bytes: the
 * dispatcher encodes a record at every transition, for the Store and again for the event, and the
 * generic path (spread, verify, walk every string, protobufjs encode, then splice the task in) was
 * most of that. The bytes are exactly protobufjs's (`dispatcher-record-writer.test.ts` compares
 * them). Returns undefined for a record this writer does not take — a number that is not a
 * non-negative safe integer (or an attempt count past uint32), a field of the wrong type — so that
 * the caller encodes it the generic way, which refuses or writes it as before. Strings come from decoded messages and the dispatcher's own texts; a lone surrogate, were
 * one to get in, is written as U+FFFD, never as bytes that are not UTF-8.
 */
export function writeRecord(r: TaskRecord, task: Uint8Array): Uint8Array | undefined {
  if (
    !isWireWhole(r.state) ||
    !isWireWhole(r.attempts) ||
    r.attempts > 0xffffffff ||
    !isWireWhole(r.fencingToken) ||
    !isWireWhole(r.createdMs) ||
    !isWireWhole(r.updatedMs) ||
    !isWireWhole(r.notBeforeMs) ||
    typeof r.assignee !== "string" ||
    typeof r.reason !== "string" ||
    !(r.result instanceof Uint8Array)
  ) {
    return undefined;
  }
  const error = r.error == null ? undefined : errorSizes(r.error);
  if (error === null) return undefined;
  const assigneeLen = utf8Length(r.assignee);
  const reasonLen = utf8Length(r.reason);
  const size =
    1 +
    varintSize(task.length) +
    task.length +
    varintFieldSize(r.state) +
    stringFieldSize(assigneeLen) +
    varintFieldSize(r.attempts) +
    varintFieldSize(r.fencingToken) +
    varintFieldSize(r.createdMs) +
    varintFieldSize(r.updatedMs) +
    stringFieldSize(reasonLen) +
    bytesFieldSize(r.result.length) +
    (error ? 1 + varintSize(error.size) + error.size : 0) +
    varintFieldSize(r.notBeforeMs);
  const buf = Buffer.allocUnsafe(size);
  buf[0] = 10;
  let p = writeVarint(buf, 1, task.length);
  buf.set(task, p);
  p += task.length;
  p = writeVarintField(buf, p, 16, r.state);
  p = writeString(buf, p, 26, r.assignee, assigneeLen);
  p = writeVarintField(buf, p, 32, r.attempts);
  p = writeVarintField(buf, p, 40, r.fencingToken);
  p = writeVarintField(buf, p, 48, r.createdMs);
  p = writeVarintField(buf, p, 56, r.updatedMs);
  p = writeString(buf, p, 66, r.reason, reasonLen);
  p = writeBytes(buf, p, 74, r.result);
  if (r.error && error) p = writeError(buf, p, r.error, error);
  writeVarintField(buf, p, 88, r.notBeforeMs);
  return buf;
}

interface ErrorSizes {
  code: number;
  message: number;
  /** Per context entry: the key's and the value's UTF-8 length and the entry's size. */
  entries: Array<{ key: number; value: number; size: number }>;
  size: number;
}

/**
 * Sizes of a `swarmlink.v1.Error` (a map entry writes its key and value even when empty); null when
 * a field is not a string.
 */
function errorSizes(e: ErrorInfo): ErrorSizes | null {
  if (typeof e.code !== "string" || typeof e.message !== "string") return null;
  const code = utf8Length(e.code);
  const message = utf8Length(e.message);
  let size = stringFieldSize(code) + stringFieldSize(message);
  const entries: ErrorSizes["entries"] = [];
  for (const k of Object.keys(e.context)) {
    const v = e.context[k];
    if (typeof v !== "string") return null;
    const key = utf8Length(k);
    const value = utf8Length(v);
    const entry = 1 + varintSize(key) + key + 1 + varintSize(value) + value;
    entries.push({ key, value, size: entry });
    size += 1 + varintSize(entry) + entry;
  }
  return { code, message, entries, size };
}

function writeError(buf: Buffer, p: number, e: ErrorInfo, s: ErrorSizes): number {
  buf[p++] = 82;
  p = writeVarint(buf, p, s.size);
  p = writeString(buf, p, 10, e.code, s.code);
  p = writeString(buf, p, 18, e.message, s.message);
  const keys = Object.keys(e.context);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    const sizes = s.entries[i]!;
    buf[p++] = 26;
    p = writeVarint(buf, p, sizes.size);
    buf[p++] = 10;
    p = writeUtf8(buf, writeVarint(buf, p, sizes.key), k);
    buf[p++] = 18;
    p = writeUtf8(buf, writeVarint(buf, p, sizes.value), e.context[k]!);
  }
  return p;
}
