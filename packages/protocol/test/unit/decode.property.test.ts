import assert from "node:assert/strict";
import fc from "fast-check";
import {
  createEnvelope,
  decodeEnvelope,
  decodePayload,
  type ErrorCode,
  encodeEnvelope,
  encodePayload,
  isSwarmError,
  PAYLOAD_TYPES,
  type PayloadType,
  unwrap,
} from "../../src/mod.js";
import { arbitraryMessage, loadSchema, normalize } from "../schema.js";

const ALLOWED: ErrorCode[] = ["E_DECODE", "E_TOO_LARGE", "E_UNKNOWN_TYPE", "E_INVALID"];
const RUNS = 5_000;
const RUNS_PER_TYPE = 1_000;
const schema = loadSchema();

/** Runs `fn`; a throw must be a SwarmError with an allowed code. Returns the result or undefined. */
function typedOnly<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch (err) {
    if (isSwarmError(err) && ALLOWED.includes(err.code)) return undefined;
    throw new assert.AssertionError({ message: `untyped failure: ${String(err)}`, actual: err });
  }
}

/** A valid payload of any type, with its type name. */
const anyPayload = fc.constantFrom(...PAYLOAD_TYPES).chain((type) =>
  arbitraryMessage(schema.lookupType(type)).map((value) => ({
    type,
    bytes: encodePayload(type, value as never),
  })),
);

const id = fc.stringMatching(/^[a-zA-Z0-9_-]{1,16}$/);

/** The encoding of a valid envelope around a valid payload, with any metadata set. */
const validEnvelopeBytes = fc
  .record({
    payload: anyPayload,
    source: id,
    timeMs: fc.integer({ min: 1, max: 2 ** 48 - 1 }),
    correlationId: fc.option(id, { nil: undefined }),
    replyTo: fc.option(
      id.map((s) => `_INBOX.${s}`),
      { nil: undefined },
    ),
    ttlMs: fc.option(fc.integer({ min: 0, max: 0xffffffff }), { nil: undefined }),
    priority: fc.option(fc.integer({ min: 0, max: 9 }), { nil: undefined }),
  })
  .map(({ payload, ...meta }) =>
    encodeEnvelope(createEnvelope({ ...meta, type: payload.type, payload: payload.bytes })),
  );

/** Truncations, bit flips, byte overwrites and insertions, alone or stacked. */
function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  type Edit = (b: Uint8Array) => Uint8Array;
  const position = fc.nat();
  const edit: fc.Arbitrary<Edit> = fc.oneof(
    position.map(
      (at): Edit =>
        (b) =>
          b.subarray(0, b.length === 0 ? 0 : at % b.length),
    ),
    fc.tuple(position, fc.integer({ min: 0, max: 7 })).map(
      ([at, bit]): Edit =>
        (b) => {
          const c = Uint8Array.from(b);
          if (c.length > 0) c[at % c.length]! ^= 1 << bit;
          return c;
        },
    ),
    fc.tuple(position, fc.integer({ min: 0, max: 255 })).map(
      ([at, byte]): Edit =>
        (b) => {
          const c = Uint8Array.from(b);
          if (c.length > 0) c[at % c.length] = byte;
          return c;
        },
    ),
    fc.tuple(position, fc.uint8Array({ minLength: 1, maxLength: 8 })).map(
      ([at, extra]): Edit =>
        (b) => {
          const i = b.length === 0 ? 0 : at % b.length;
          return Uint8Array.from([...b.subarray(0, i), ...extra, ...b.subarray(i)]);
        },
    ),
  );
  return fc
    .tuple(valid, fc.array(edit, { minLength: 1, maxLength: 4 }))
    .map(([bytes, edits]) => edits.reduce((b, e) => e(b), bytes));
}

/** Whatever decodes must unwrap to a typed result or a typed error, and encode again. */
function checkEnvelope(bytes: Uint8Array): void {
  const env = typedOnly(() => decodeEnvelope(bytes));
  if (!env) return;
  assert.doesNotThrow(() => encodeEnvelope(env), "a decoded envelope encodes again");
  typedOnly(() => unwrap(env));
}

/** Whatever decodes must encode again to the same message. */
function checkPayload(type: PayloadType, bytes: Uint8Array): void {
  const msg = typedOnly(() => decodePayload(type, bytes));
  if (!msg) return;
  const reflected = schema.lookupType(type);
  const again = decodePayload(type, encodePayload(type, msg as never));
  assert.deepEqual(normalize(reflected, again), normalize(reflected, msg));
}

describe("decoding hostile bytes", () => {
  it(`decodeEnvelope meets ${RUNS} arbitrary byte strings with typed errors only`, () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), checkEnvelope), { numRuns: RUNS });
  });

  it(`decodeEnvelope meets ${RUNS} truncated, flipped and spliced envelopes with typed errors only`, () => {
    fc.assert(fc.property(mutated(validEnvelopeBytes), checkEnvelope), { numRuns: RUNS });
  });

  it("decodeEnvelope accepts every valid envelope it is given", () => {
    fc.assert(
      fc.property(validEnvelopeBytes, (bytes) => {
        unwrap(decodeEnvelope(bytes));
      }),
      { numRuns: 500 },
    );
  });

  for (const type of PAYLOAD_TYPES) {
    const valid = arbitraryMessage(schema.lookupType(type)).map((v) => encodePayload(type, v as never));
    it(`decodePayload(${type}) meets ${RUNS_PER_TYPE} arbitrary and ${RUNS_PER_TYPE} mutated inputs with typed errors only`, () => {
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => checkPayload(type, bytes)),
        { numRuns: RUNS_PER_TYPE },
      );
      fc.assert(
        fc.property(mutated(valid), (bytes) => checkPayload(type, bytes)),
        { numRuns: RUNS_PER_TYPE },
      );
    });
  }

  it("refuses deeply nested groups with E_DECODE rather than overflowing the stack", () => {
    // 100,000 start-group tags for field 1 (wire type 3), then nothing.
    const bytes = new Uint8Array(100_000).fill((1 << 3) | 3);
    assert.throws(
      () => decodeEnvelope(bytes),
      (err) => isSwarmError(err, "E_DECODE"),
    );
    assert.throws(
      () => decodePayload("swarmlink.v1.Task", bytes),
      (err) => isSwarmError(err, "E_DECODE"),
    );
  });

  it("refuses a length prefix pointing past the end with E_DECODE", () => {
    // field 5 (payload), length 2^31, no bytes
    const bytes = Uint8Array.from([0x2a, 0x80, 0x80, 0x80, 0x80, 0x08]);
    assert.throws(
      () => decodeEnvelope(bytes),
      (err) => isSwarmError(err, "E_DECODE"),
    );
  });

  it("refuses input that is not bytes at all with E_DECODE", () => {
    for (const input of [null, undefined, "bytes", [1, 2, 3], { length: 3 }]) {
      assert.throws(
        () => decodeEnvelope(input as never),
        (err) => isSwarmError(err, "E_DECODE"),
      );
    }
  });
});
