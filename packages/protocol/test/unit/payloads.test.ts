import assert from "node:assert/strict";
import fc from "fast-check";
import protobuf from "protobufjs";
import {
  decodePayload,
  encodePayload,
  isPayloadType,
  isSwarmError,
  PAYLOAD_TYPES,
  type PayloadType,
  type swarmlink,
} from "../../src/mod.js";
import { arbitraryMessage, loadSchema, messageTypes, normalize } from "../schema.js";

const schema = loadSchema();
/** Messages that only ever travel inside another one. */
const PARTS = [
  "Envelope",
  "CartesianPoint",
  "GeoPoint",
  "Position",
  "Quaternion",
  "Pose",
  "Battery",
  "AgentStatus",
  "KeyValues",
  "Circle",
  "Box",
  "Nearest",
  "TaskReportAck",
];

describe("payload codec", () => {
  it("knows every message of the schema as a payload, except the envelope and message parts", () => {
    const names = messageTypes(schema).map((t) => t.name);
    const payloads = names.filter((n) => !PARTS.includes(n)).map((n) => `swarmlink.v1.${n}`);
    assert.deepEqual([...PAYLOAD_TYPES].sort(), payloads.sort());
    for (const part of PARTS) assert.ok(names.includes(part), `${part} is in the schema`);
  });

  for (const type of PAYLOAD_TYPES) {
    const reflected = schema.lookupType(type.slice("swarmlink.v1.".length));
    it(`round-trips every field of ${type}`, () => {
      fc.assert(
        fc.property(arbitraryMessage(reflected), (value) => {
          const bytes = encodePayload(type, value as never);
          const back = decodePayload(type, bytes);
          assert.deepEqual(normalize(reflected, back), normalize(reflected, value));
        }),
        { numRuns: 300 },
      );
    });
  }

  it("decodes 64-bit fields as plain numbers, 0 when absent", () => {
    const award = decodePayload(
      "swarmlink.v1.Award",
      encodePayload("swarmlink.v1.Award", { fencingToken: 2 ** 53 - 1 }),
    );
    assert.equal(award.fencingToken, Number.MAX_SAFE_INTEGER);
    const empty = decodePayload("swarmlink.v1.Award", new Uint8Array(0));
    assert.equal(empty.fencingToken, 0);
    assert.equal(typeof empty.fencingToken, "number");
    const presence = decodePayload(
      "swarmlink.v1.Presence",
      encodePayload("swarmlink.v1.Presence", { sinceMs: -5 }),
    );
    assert.equal(presence.sinceMs, -5);
  });

  it("refuses a 64-bit value beyond 2^53 with E_DECODE", () => {
    // field 3 (fencing_token), varint 2^53 = 0x20000000000000
    const writer = protobuf.Writer.create();
    writer.uint32((3 << 3) | 0).uint64(protobuf.util.LongBits.fromNumber(2 ** 53).toLong(true));
    const bytes = writer.finish();
    assert.throws(
      () => decodePayload("swarmlink.v1.Award", bytes),
      (err) => isSwarmError(err, "E_DECODE"),
    );
  });

  it("refuses unknown type names with E_UNKNOWN_TYPE, including Object.prototype's keys", () => {
    for (const name of [
      "swarmlink.v1.Nope",
      "toString",
      "__proto__",
      "constructor",
      "swarmlink.v1.Envelope",
    ]) {
      assert.equal(isPayloadType(name), false);
      assert.throws(
        () => decodePayload(name, new Uint8Array(0)),
        (err) => isSwarmError(err, "E_UNKNOWN_TYPE"),
      );
      assert.throws(
        () => encodePayload(name as PayloadType, {}),
        (err) => isSwarmError(err, "E_UNKNOWN_TYPE"),
      );
    }
  });

  it("refuses a value that does not fit the message with E_ENCODE naming the field", () => {
    const bad = { agentId: "a", seq: "many" } as unknown as swarmlink.v1.Heartbeat.$Properties;
    assert.throws(
      () => encodePayload("swarmlink.v1.Heartbeat", bad),
      (err) => isSwarmError(err, "E_ENCODE") && /seq/.test(String(err.context.reason)),
    );
    assert.throws(
      () => encodePayload("swarmlink.v1.Heartbeat", null as never),
      (err) => isSwarmError(err, "E_ENCODE"),
    );
  });

  it("refuses strings with lone surrogates at encoding, which no decoder would accept", () => {
    assert.throws(
      () => encodePayload("swarmlink.v1.Heartbeat", { agentId: "a\ud800" }),
      (err) => isSwarmError(err, "E_ENCODE") && /agentId/.test(String(err.context.reason)),
    );
    assert.throws(
      () => encodePayload("swarmlink.v1.AgentDescriptor", { attributes: { "\udc00": "x" } }),
      (err) => isSwarmError(err, "E_ENCODE"),
    );
  });

  it("keeps a map key named __proto__ as an ordinary entry", () => {
    const attributes = JSON.parse('{"__proto__": "x", "zone": "A"}') as Record<string, string>;
    const back = decodePayload(
      "swarmlink.v1.AgentDescriptor",
      encodePayload("swarmlink.v1.AgentDescriptor", { id: "a", attributes }),
    );
    assert.deepEqual(Object.entries(back.attributes).sort(), [
      ["__proto__", "x"],
      ["zone", "A"],
    ]);
    assert.equal(Object.getPrototypeOf(back.attributes), Object.prototype);
  });

  it("tells which member of a oneof is set", () => {
    const t = decodePayload(
      "swarmlink.v1.Telemetry",
      encodePayload("swarmlink.v1.Telemetry", { agentId: "a", stream: "battery", battery: { percent: 50 } }),
    );
    assert.equal(t.body, "battery");
    assert.equal(t.battery?.percent, 50);
    assert.equal(t.pose ?? null, null);
  });
});
