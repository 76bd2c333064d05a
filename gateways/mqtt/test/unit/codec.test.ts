import assert from "node:assert/strict";
import { encodePayload, isSwarmError } from "@swarmlink/protocol";
import fc from "fast-check";
import {
  bidFromJson,
  descriptorFromJson,
  jsonCodec,
  positionFromJson,
  presenceFromJson,
  protobufCodec,
  replyFromJson,
  statusFromJson,
  telemetryFromJson,
} from "../../src/mod.js";

/** Runs `f`; anything thrown must be a SwarmError with E_INVALID or E_DECODE. Returns the result or undefined. */
function typedOrResult<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch (err) {
    assert.ok(isSwarmError(err, "E_INVALID") || isSwarmError(err, "E_DECODE"), `threw ${String(err)}`);
    return undefined;
  }
}

/** JSON values, shaped toward the decoders' fields now and then, so that accepting paths run too. */
const shaped = fc.oneof(
  fc.jsonValue(),
  fc.record(
    {
      kind: fc.oneof(fc.constantFrom("robot", "bot", "drone"), fc.jsonValue()),
      capabilities: fc.oneof(fc.array(fc.string()), fc.jsonValue()),
      attributes: fc.oneof(fc.dictionary(fc.string(), fc.string()), fc.jsonValue()),
      position: fc.oneof(
        fc.record({ x: fc.double(), y: fc.double() }),
        fc.record({ lat: fc.double(), lon: fc.double() }),
      ),
      credits: fc.oneof(fc.nat(), fc.jsonValue()),
      x: fc.double(),
      y: fc.double(),
      percent: fc.double(),
      id: fc.oneof(fc.string(), fc.jsonValue()),
      ok: fc.oneof(fc.boolean(), fc.jsonValue()),
      error: fc.jsonValue(),
      result: fc.jsonValue(),
      cost: fc.oneof(fc.double(), fc.jsonValue()),
      round: fc.oneof(fc.nat(), fc.jsonValue()),
      state: fc.oneof(
        fc.constantFrom("accepted", "rejected", "progress", "succeeded", "failed"),
        fc.string(),
      ),
      attempt: fc.oneof(fc.nat(), fc.jsonValue()),
      progress: fc.oneof(fc.double(), fc.jsonValue()),
      status: fc.oneof(fc.constantFrom("online", "offline"), fc.jsonValue()),
    },
    { requiredKeys: [] },
  ),
);

describe("device codecs", () => {
  it("decode any JSON value to a payload the protobuf encoder takes, or E_INVALID, never anything else", () => {
    fc.assert(
      fc.property(shaped, fc.constantFrom("pose", "battery", "misc"), (v, stream) => {
        const d = typedOrResult(() => descriptorFromJson("a1", v));
        if (d) encodePayload("swarmlink.v1.AgentDescriptor", d);
        const t = typedOrResult(() => telemetryFromJson("a1", stream, v, 1));
        if (t) encodePayload("swarmlink.v1.Telemetry", t);
        const r = typedOrResult(() => replyFromJson("a1", v));
        if (r) encodePayload("swarmlink.v1.CommandReply", r);
        const b = typedOrResult(() => bidFromJson("a1", "t1", v));
        if (b) encodePayload("swarmlink.v1.Bid", b);
        const s = typedOrResult(() => statusFromJson("a1", "t1", v));
        if (s) encodePayload("swarmlink.v1.TaskResult", s);
        typedOrResult(() => presenceFromJson(v));
        typedOrResult(() => positionFromJson("p", v));
      }),
      { numRuns: 2000 },
    );
  });

  it("read any string or byte sequence as a payload or a typed error, in JSON and in protobuf", () => {
    const input = fc.oneof(
      fc.string().map((s) => new Uint8Array(Buffer.from(s))),
      fc.jsonValue().map((v) => new Uint8Array(Buffer.from(JSON.stringify(v) ?? "null"))),
      fc.uint8Array({ maxLength: 256 }),
    );
    fc.assert(
      fc.property(input, (bytes) => {
        for (const codec of [jsonCodec, protobufCodec]) {
          typedOrResult(() => codec.descriptor("a1", bytes));
          typedOrResult(() => codec.telemetry("a1", "pose", bytes, 1));
          typedOrResult(() => codec.telemetry("a1", "misc", bytes, 1));
          typedOrResult(() => codec.reply("a1", bytes));
          typedOrResult(() => codec.bid("a1", "t1", bytes));
          typedOrResult(() => codec.status("a1", "t1", bytes));
          typedOrResult(() => codec.presence(bytes));
        }
      }),
      { numRuns: 2000 },
    );
  });

  it("refuse names of Object.prototype as a state or kind (found by the property above)", () => {
    assert.throws(
      () => statusFromJson("a1", "t1", { state: "valueOf" }),
      (e) => isSwarmError(e, "E_INVALID"),
    );
    assert.throws(
      () => descriptorFromJson("a1", { kind: "constructor" }),
      (e) => isSwarmError(e, "E_INVALID"),
    );
  });

  it("take the agent and task ids from the topic, not from a protobuf payload", () => {
    const bid = protobufCodec.bid(
      "a1",
      "t1",
      encodePayload("swarmlink.v1.Bid", { agentId: "x", taskId: "y", cost: 2 }),
    );
    assert.deepEqual([bid.agentId, bid.taskId, bid.cost], ["a1", "t1", 2]);
  });
});
