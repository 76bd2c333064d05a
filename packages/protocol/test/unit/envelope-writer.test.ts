import assert from "node:assert/strict";
import fc from "fast-check";
import { createEnvelope, type Envelope, encodeEnvelope, swarmlink } from "../../src/mod.js";
import { loadSchema } from "../schema.js";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

/** Ids valid as a source: any Unicode the id rules allow, astral planes included. */
const source = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 40 })
  .filter((s) => !/[.*>/+#\s\p{Cc}\p{Cf}]/u.test(s) && Buffer.byteLength(s) <= 128);

/** Text with one-, two-, three- and four-byte characters, short and past the native-write length. */
const text = fc.oneof(
  fc.constant(""),
  fc.string({ unit: "grapheme-ascii", maxLength: 200 }),
  fc.string({ unit: "grapheme", maxLength: 120 }),
);

const envelope = fc
  .record({
    // Given, so the process's monotonic ULID factory never sees these times.
    id: fc.stringMatching(/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/),
    type: fc.constantFrom("swarmlink.v1.TaskInfo", "swarmlink.v1.Award", "vendor.x.Thing", "a.b"),
    source,
    timeMs: fc.oneof(
      fc.integer({ min: 1, max: 2 ** 31 }),
      fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
    ),
    payload: fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ minLength: 100, maxLength: 70_000 })),
    correlationId: text.filter((s) => !/\p{Cc}/u.test(s)),
    replyTo: fc.option(fc.stringMatching(/^[a-zA-Z0-9_-]{1,40}(\.[a-zA-Z0-9_é-]{1,20}){0,3}$/), { nil: "" }),
    traceparent: fc.constantFrom("", TRACEPARENT),
    tracestate: fc.stringMatching(/^[\x20-\x7e]{0,120}$/),
    ttlMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff })),
    priority: fc.integer({ min: 0, max: 9 }),
    contentType: fc.constantFrom("", "application/json", "application/x-protobuf"),
  })
  .map((init) => createEnvelope(init));

function protobufjsBytes(env: Envelope): Buffer {
  return Buffer.from(swarmlink.v1.Envelope.encode(env).finish());
}

/** The fields the hand-written encoder writes, by number: a field added to the schema must be added there. */
const WRITTEN = {
  1: "id",
  2: "type",
  3: "source",
  4: "timeMs",
  5: "payload",
  6: "correlationId",
  7: "replyTo",
  8: "traceparent",
  9: "ttlMs",
  10: "priority",
  11: "contentType",
  12: "tracestate",
};

describe("envelope writer", () => {
  it("writes every field the schema's Envelope has", () => {
    const fields = loadSchema().lookupType("Envelope").fieldsArray;
    assert.deepEqual(Object.fromEntries(fields.map((f) => [f.id, f.name])), WRITTEN);
  });

  it("writes the very bytes protobufjs writes, for any valid envelope", () => {
    fc.assert(
      fc.property(envelope, (env) => {
        assert.deepEqual(Buffer.from(encodeEnvelope(env)), protobufjsBytes(env));
      }),
      { numRuns: 2_000 },
    );
  });

  it("stays exact past the bound of its field caches (more sources than it keeps)", () => {
    for (let i = 0; i < 2_500; i++) {
      const env = createEnvelope({ type: "swarmlink.v1.Heartbeat", source: `robot-${i}` });
      assert.deepEqual(Buffer.from(encodeEnvelope(env)), protobufjsBytes(env), `robot-${i}`);
    }
  });
});
