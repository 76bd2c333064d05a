import assert from "node:assert/strict";
import {
  CONTENT_TYPE_PROTOBUF,
  createEnvelope,
  DEFAULT_MAX_ENVELOPE_BYTES,
  decodeEnvelope,
  type Envelope,
  encodeEnvelope,
  encodePayload,
  isExpired,
  isSwarmError,
  monotonicUlid,
  SimulatedClock,
  swarmlink,
  ulidTimeMs,
  unwrap,
  unwrapAs,
  wrap,
} from "../../src/mod.js";

const TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

function full(): Envelope {
  return createEnvelope({
    type: "swarmlink.v1.Heartbeat",
    source: "amr-07",
    payload: encodePayload("swarmlink.v1.Heartbeat", { agentId: "amr-07", epoch: 1_700_000_000_000, seq: 3 }),
    correlationId: "01ARZ3NDEKTSV4RRFFQ69G5FAV",
    replyTo: "_INBOX.abc.def",
    traceparent: TRACEPARENT,
    tracestate: "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
    ttlMs: 30_000,
    priority: 7,
    contentType: CONTENT_TYPE_PROTOBUF,
  });
}

const code =
  (...codes: string[]) =>
  (err: unknown) =>
    isSwarmError(err) && codes.includes(err.code);

describe("envelope codec", () => {
  it("preserves every metadata field through encode and decode", () => {
    const env = full();
    const back = decodeEnvelope(encodeEnvelope(env));
    assert.deepEqual({ ...back, payload: [...back.payload] }, { ...env, payload: [...env.payload] });
  });

  it("fills id and time from the injected clock, and defaults the rest", () => {
    const clock = new SimulatedClock(1_700_000_000_000);
    const env = createEnvelope(
      { type: "swarmlink.v1.Bid", source: "bot-1" },
      { clock, newId: monotonicUlid({ clock }) },
    );
    assert.equal(env.timeMs, 1_700_000_000_000);
    assert.equal(ulidTimeMs(env.id), 1_700_000_000_000);
    assert.deepEqual(
      { ...env, id: "", payload: env.payload.length },
      {
        id: "",
        type: "swarmlink.v1.Bid",
        source: "bot-1",
        timeMs: 1_700_000_000_000,
        payload: 0,
        correlationId: "",
        replyTo: "",
        traceparent: "",
        tracestate: "",
        ttlMs: 0,
        priority: 0,
        contentType: "",
      },
    );
  });

  it("wraps and unwraps a typed payload", () => {
    const env = wrap(
      "swarmlink.v1.Award",
      { taskId: "t-1", agentId: "amr-07", fencingToken: 42, attempt: 2 },
      { source: "coordinator-1", correlationId: "t-1" },
    );
    const back = decodeEnvelope(encodeEnvelope(env));
    const msg = unwrap(back);
    assert.equal(msg.type, "swarmlink.v1.Award");
    if (msg.type === "swarmlink.v1.Award") assert.equal(msg.payload.fencingToken, 42);
    const award: swarmlink.v1.Award = unwrapAs(back, "swarmlink.v1.Award");
    assert.equal(award.agentId, "amr-07");
  });

  it("refuses to unwrap as another type, or a payload that is not protobuf", () => {
    const env = wrap("swarmlink.v1.Bid", { taskId: "t", cost: 1 }, { source: "a" });
    assert.throws(() => unwrapAs(env, "swarmlink.v1.Award"), code("E_INVALID"));
    assert.throws(() => unwrap({ ...env, contentType: "application/json" }), code("E_INVALID"));
    assert.throws(() => unwrap({ ...env, type: "swarmlink.v1.Unknown" }), code("E_UNKNOWN_TYPE"));
  });

  it("passes envelopes of unknown types through decoding", () => {
    const env = createEnvelope({ type: "acme.v3.Gripper", source: "a", payload: new Uint8Array([1, 2, 3]) });
    assert.equal(decodeEnvelope(encodeEnvelope(env)).type, "acme.v3.Gripper");
  });

  it("refuses oversize input with E_TOO_LARGE before parsing it", () => {
    // Zero bytes are not an envelope (field number 0): parsing would say E_DECODE.
    const garbage = new Uint8Array(DEFAULT_MAX_ENVELOPE_BYTES + 1);
    assert.throws(() => decodeEnvelope(garbage), code("E_TOO_LARGE"));
    assert.throws(() => decodeEnvelope(garbage.subarray(0, 100), { maxBytes: 99 }), code("E_TOO_LARGE"));
    assert.throws(() => decodeEnvelope(garbage.subarray(0, 100), { maxBytes: 100 }), code("E_DECODE"));
    const bytes = encodeEnvelope(full());
    assert.throws(
      () => decodeEnvelope(bytes, { maxBytes: bytes.length - 1 }),
      (err) => isSwarmError(err, "E_TOO_LARGE") && err.context.bytes === bytes.length,
    );
  });

  it("refuses to encode an envelope over the limit", () => {
    const env = createEnvelope({ type: "a.B", source: "s", payload: new Uint8Array(2048) });
    assert.throws(() => encodeEnvelope(env, { maxBytes: 1024 }), code("E_TOO_LARGE"));
    assert.throws(
      () => encodeEnvelope(env, { maxBytes: 2050 }),
      code("E_TOO_LARGE"),
      "the header counts too",
    );
    assert.ok(encodeEnvelope(env, { maxBytes: 4096 }).length > 2048);
  });

  const invalid: [string, string, Partial<Envelope>][] = [
    ["id", "not a ULID", { id: "not-a-ulid" }],
    ["type", "not qualified", { type: "Heartbeat" }],
    ["type", "an empty name part", { type: "swarmlink..v1" }],
    ["source", "empty", { source: "" }],
    ["source", "dotted", { source: "amr.07" }],
    ["timeMs", "zero", { timeMs: 0 }],
    ["timeMs", "fractional", { timeMs: 1.5 }],
    ["replyTo", "a wildcard", { replyTo: "_INBOX.*" }],
    ["replyTo", "an empty token", { replyTo: "a..b" }],
    [
      "traceparent",
      "missing its flags",
      { traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7" },
    ],
    ["traceparent", "an all-zero trace id", { traceparent: `00-${"0".repeat(32)}-00f067aa0ba902b7-01` }],
    ["traceparent", "version 00 with extra fields", { traceparent: `${TRACEPARENT}-extra` }],
    [
      "traceparent",
      "a later version with a lone surrogate",
      { traceparent: `01${TRACEPARENT.slice(2)}-\ud800` },
    ],
    ["traceparent", "a later version with non-ASCII", { traceparent: `01${TRACEPARENT.slice(2)}-é` }],
    ["traceparent", "257 characters", { traceparent: `01${TRACEPARENT.slice(2)}-${"a".repeat(201)}` }],
    ["tracestate", "a newline", { tracestate: "a=\n" }],
    ["ttlMs", "negative", { ttlMs: -1 }],
    ["priority", "above 9", { priority: 10 }],
    ["contentType", "a NUL", { contentType: "text/plain\u0000" }],
    ["correlationId", "257 bytes", { correlationId: "x".repeat(257) }],
    ["correlationId", "a lone surrogate", { correlationId: "\ud800" }],
  ];
  for (const [field, what, patch] of invalid) {
    it(`refuses an envelope whose ${field} is ${what} with E_INVALID naming the field`, () => {
      const env = { ...full(), ...patch };
      const named = (err: unknown) => isSwarmError(err, "E_INVALID") && err.context.field === field;
      assert.throws(() => encodeEnvelope(env), named);
      assert.throws(() => createEnvelope(env), named);
    });
  }

  it("refuses at encoding an envelope changed after it was made, whichever field went bad", () => {
    for (const [field, , patch] of invalid) {
      const env = full();
      Object.assign(env, patch);
      assert.throws(
        () => encodeEnvelope(env),
        (err) => isSwarmError(err, "E_INVALID") && err.context.field === field,
        field,
      );
    }
    const env = full();
    env.payload = "bytes" as unknown as Uint8Array;
    assert.throws(() => encodeEnvelope(env), code("E_INVALID"));
  });

  it("checks an id from a factory of the caller's, where only its own ids are trusted", () => {
    assert.throws(
      () => createEnvelope({ type: "a.B", source: "s" }, { newId: () => "not-a-ulid" }),
      (err) => isSwarmError(err, "E_INVALID") && err.context.field === "id",
    );
  });

  it("refuses decoded envelopes that miss required fields with E_INVALID", () => {
    const bytes = swarmlink.v1.Envelope.encode({ type: "a.B", source: "s", timeMs: 1 }).finish();
    assert.throws(
      () => decodeEnvelope(bytes),
      (err) => isSwarmError(err, "E_INVALID") && err.context.field === "id",
    );
  });

  it("accepts a traceparent of a later version with extra fields", () => {
    const env = {
      ...full(),
      traceparent: "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-comes",
    };
    assert.equal(decodeEnvelope(encodeEnvelope(env)).traceparent, env.traceparent);
  });

  it("expires only envelopes with a TTL, after it", () => {
    const env = { timeMs: 1000, ttlMs: 500 };
    assert.equal(isExpired(env, 1500), false);
    assert.equal(isExpired(env, 1501), true);
    assert.equal(isExpired({ timeMs: 1000, ttlMs: 0 }, 1e12), false);
  });
});
