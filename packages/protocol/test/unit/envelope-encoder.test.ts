import assert from "node:assert/strict";
import fc from "fast-check";
import {
  createEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  envelopeEncoder,
  isSwarmError,
  monotonicUlid,
  SimulatedClock,
  swarmlink,
} from "../../src/mod.js";

/** Ids valid as a source, ASCII and not, short and long (the encoder keeps its bytes). */
const source = fc
  .oneof(fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 128 }), fc.string({ unit: "binary" }))
  .filter((s) => s.length > 0 && !/[.*>/+#\s\p{Cc}\p{Cf}]/u.test(s) && Buffer.byteLength(s) <= 128);

const payload = fc.oneof(
  fc.uint8Array({ maxLength: 127 }),
  fc.uint8Array({ minLength: 128, maxLength: 20_000 }),
  fc.uint8Array({ minLength: 8, maxLength: 300 }).map((b) => b.subarray(3, b.length - 2)),
);

describe("envelopeEncoder", () => {
  it("writes what encodeEnvelope(createEnvelope(…)) writes, for any type, source, time and payload", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("swarmlink.v1.TaskInfo", "swarmlink.v1.AwardBatch", "vendor.x.Thing"),
        source,
        fc.oneof(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: 2 ** 31, max: 2 ** 48 - 1 })),
        payload,
        (type, src, timeMs, data) => {
          const clock = new SimulatedClock(timeMs);
          // Two factories in step: one id each for the encoder and for the reference.
          const encode = envelopeEncoder(type, src, { clock, newId: monotonicUlid({ random: zeros }) });
          const ref = createEnvelope(
            { type, source: src, payload: data },
            { clock, newId: monotonicUlid({ random: zeros }) },
          );
          const bytes = encode(data);
          assert.deepEqual(Buffer.from(bytes), Buffer.from(encodeEnvelope(ref)));
          assert.deepEqual(Buffer.from(bytes), Buffer.from(swarmlink.v1.Envelope.encode(ref).finish()));
        },
      ),
      { numRuns: 1_000 },
    );
  });

  it("makes a fresh id and reads the clock for every envelope", () => {
    const clock = new SimulatedClock(1_000);
    const encode = envelopeEncoder("swarmlink.v1.TaskInfo", "coordinator-1", { clock });
    const a = decodeEnvelope(encode(new Uint8Array([1])));
    clock.advance(5);
    const b = decodeEnvelope(encode(new Uint8Array([2, 3])));
    assert.notEqual(a.id, b.id);
    assert.deepEqual([a.timeMs, b.timeMs], [1_000, 1_005]);
    assert.deepEqual([...b.payload], [2, 3]);
    assert.equal(b.source, "coordinator-1");
  });

  it("refuses a malformed type or source when made, as createEnvelope does", () => {
    for (const [type, src] of [
      ["not a type", "node-1"],
      ["swarmlink.v1.TaskInfo", "bad.source"],
      ["swarmlink.v1.TaskInfo", ""],
    ] as const) {
      assert.throws(
        () => envelopeEncoder(type, src),
        (e) => isSwarmError(e, "E_INVALID"),
        `${type} ${src}`,
      );
    }
  });

  it("refuses an envelope past maxBytes with E_TOO_LARGE; a payload that is not bytes and a foreign factory's non-ULID with E_INVALID", () => {
    const size = envelopeEncoder("swarmlink.v1.TaskInfo", "n")(new Uint8Array(40)).length;
    const encode = envelopeEncoder("swarmlink.v1.TaskInfo", "n", { maxBytes: size });
    assert.equal(encode(new Uint8Array(40)).length, size);
    assert.throws(
      () => encode(new Uint8Array(41)),
      (e) => isSwarmError(e, "E_TOO_LARGE"),
    );
    assert.throws(
      () => encode([1, 2] as unknown as Uint8Array),
      (e) => isSwarmError(e, "E_INVALID"),
    );
    const foreign = envelopeEncoder("swarmlink.v1.TaskInfo", "n", { newId: () => "not-a-ulid" });
    assert.throws(
      () => foreign(new Uint8Array(1)),
      (e) => isSwarmError(e, "E_INVALID"),
    );
  });
});

function zeros(b: Uint8Array): void {
  b.fill(0);
}
