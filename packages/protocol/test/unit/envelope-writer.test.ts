import assert from "node:assert/strict";
import fc from "fast-check";
import { writeEnvelope } from "../../src/envelope-writer.js";
import { createEnvelope, type Envelope, encodeEnvelope, swarmlink } from "../../src/mod.js";
import { loadSchema } from "../schema.js";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** Printable ASCII of a length in [min, max]: explicit bounds, so that long strings are made. */
const ascii = (minLength: number, maxLength: number) =>
  fc.string({ unit: "grapheme-ascii", minLength, maxLength });

/**
 * Any Unicode (astral planes included), at least 64 UTF-16 units in the long arm: strings that
 * long are sized and written natively, shorter ones by the writer's loop.
 */
const unicode = fc.oneof(
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ unit: "binary", minLength: 64, maxLength: 64 }),
);

/** Ids valid as a source, short and long, ASCII and not. */
const source = fc
  .oneof(ascii(1, 63), ascii(64, 128), unicode)
  .filter((s) => s.length > 0 && !/[.*>/+#\s\p{Cc}\p{Cf}]/u.test(s) && Buffer.byteLength(s) <= 128);

/** Texts as the checks allow them (no control characters, at most 256 bytes). */
const text = fc
  .oneof(fc.constant(""), ascii(0, 63), ascii(64, 256), unicode)
  .filter((s) => !/\p{Cc}/u.test(s) && Buffer.byteLength(s) <= 256);

/** Payloads of one-, two- and three-byte length varints, and views into a larger buffer. */
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 127 }),
  fc.uint8Array({ minLength: 128, maxLength: 16_383 }),
  fc.uint8Array({ minLength: 16_384, maxLength: 70_000 }),
  fc
    .tuple(fc.uint8Array({ minLength: 1, maxLength: 300 }), fc.nat(), fc.nat())
    .map(([b, i, j]) => b.subarray(i % b.length, (i % b.length) + (j % (b.length - (i % b.length) + 1)))),
);

/** Empty, version 00, or a later version with extra fields of printable ASCII (up to 256 characters). */
const traceparent = fc.oneof(
  fc.constant(""),
  fc.constant(TRACEPARENT),
  ascii(1, 200).map((tail) => `01${TRACEPARENT.slice(2)}-${tail.replaceAll(" ", "~")}`),
);

const envelope = fc
  .record({
    // Given, so the process's monotonic ULID factory never sees these times.
    id: fc.stringMatching(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/),
    type: fc.constantFrom("swarmlink.v1.TaskInfo", "swarmlink.v1.Award", "vendor.x.Thing", "a.b"),
    source,
    timeMs: fc.oneof(
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.integer({ min: 2 ** 31, max: Number.MAX_SAFE_INTEGER }),
      fc.constant(Number.MAX_SAFE_INTEGER),
    ),
    payload,
    correlationId: text,
    replyTo: fc.oneof(
      fc.constant(""),
      fc.stringMatching(/^[a-zA-Z0-9_-]{1,20}(\.[a-zA-Z0-9_é-]{1,20}){0,3}$/),
      ascii(64, 300).map((s) => s.replace(/[\s.*>]/g, "x")),
    ),
    traceparent,
    tracestate: ascii(0, 512),
    ttlMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff }), fc.constant(0xffffffff)),
    priority: fc.integer({ min: 0, max: 9 }),
    contentType: fc.oneof(fc.constantFrom("", "application/json", "application/x-protobuf"), ascii(64, 256)),
  })
  .map((init) => createEnvelope(init));

function protobufjsBytes(env: Envelope): Buffer {
  return Buffer.from(swarmlink.v1.Envelope.encode(env).finish());
}

/**
 * The fields the hand-written encoder writes, by number, with their types: a field added to the
 * schema, or one whose type changes, must be written there too.
 */
const WRITTEN = {
  1: "id: string",
  2: "type: string",
  3: "source: string",
  4: "timeMs: int64",
  5: "payload: bytes",
  6: "correlationId: string",
  7: "replyTo: string",
  8: "traceparent: string",
  9: "ttlMs: uint32",
  10: "priority: uint32",
  11: "contentType: string",
  12: "tracestate: string",
};

describe("envelope writer", () => {
  it("writes every field the schema's Envelope has", () => {
    const fields = loadSchema().lookupType("Envelope").fieldsArray;
    assert.deepEqual(Object.fromEntries(fields.map((f) => [f.id, `${f.name}: ${f.type}`])), WRITTEN);
  });

  it("writes the very bytes protobufjs writes, for any valid envelope", () => {
    fc.assert(
      fc.property(envelope, (env) => {
        assert.deepEqual(Buffer.from(encodeEnvelope(env)), protobufjsBytes(env));
      }),
      { numRuns: 2_000 },
    );
  });

  it("stays exact for more type names than it keeps encoded, and for many sources", () => {
    for (let i = 0; i < 600; i++) {
      for (const env of [
        createEnvelope({ type: `vendor.t${i}.Thing`, source: "robot-1" }),
        createEnvelope({ type: "swarmlink.v1.Heartbeat", source: `robot-${i}` }),
      ]) {
        assert.deepEqual(Buffer.from(encodeEnvelope(env)), protobufjsBytes(env), `${env.type} ${env.source}`);
      }
    }
  });

  it("writes a lone surrogate, which no check lets through, as U+FFFD (UTF-8 either way)", () => {
    const env = createEnvelope({ type: "a.b", source: "s" });
    for (const bad of ["\ud800", "x\udc00y", "\ud800".repeat(70)]) {
      const bytes = Buffer.from(writeEnvelope({ ...env, correlationId: bad }));
      assert.ok(bytes.includes(Buffer.from(bad, "utf8")), JSON.stringify(bad));
      assert.ok(!bytes.includes(Buffer.from([0xed, 0xa0, 0x80])));
    }
  });
});
