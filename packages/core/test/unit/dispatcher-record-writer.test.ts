import assert from "node:assert/strict";
import { decodePayload, encodePayload, TaskState } from "@swarmlink/protocol";
import fc from "fast-check";
import { encodeAward, ownTaskBytes } from "../../src/dispatcher/encoding.js";
import { decodeRecord, encodeRecord, newRecord, type TaskRecord } from "../../src/dispatcher/record.js";
import { writeRecord } from "../../src/dispatcher/record-writer.js";

const id = fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/);
/** Any Unicode, short (the writer's loop) and long (its native path). */
const text = fc.oneof(
  fc.constant(""),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.string({ unit: "binary", minLength: 64, maxLength: 80 }),
);
const task = fc
  .record({ id, kind: fc.string({ unit: "binary", minLength: 1, maxLength: 10 }), priority: fc.nat(9) })
  .map((t) => decodePayload("swarmlink.v1.Task", encodePayload("swarmlink.v1.Task", t)));
const safe = fc.oneof(fc.constant(0), fc.nat(), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }));
const record = fc
  .record({
    task,
    state: fc.constantFrom(...(Object.values(TaskState).filter((v) => typeof v === "number") as TaskState[])),
    assignee: text,
    attempts: fc.oneof(fc.constant(0), fc.nat(1000), fc.constant(0xffffffff)),
    fencingToken: safe,
    createdMs: safe,
    updatedMs: safe,
    reason: text,
    result: fc.oneof(
      fc.uint8Array({ maxLength: 127 }),
      fc.uint8Array({ minLength: 128, maxLength: 300 }),
      fc.uint8Array({ minLength: 16_384, maxLength: 17_000 }),
    ),
    error: fc.option(
      fc.record({ code: text, message: text, context: fc.dictionary(text, text, { maxKeys: 4 }) }),
      { nil: undefined },
    ),
    notBeforeMs: safe,
  })
  .map((r): TaskRecord => r);

/** What protobufjs writes for the whole record: the bytes the hand-written ones must equal. */
const protobufjs = (r: TaskRecord) => Buffer.from(encodePayload("swarmlink.v1.TaskInfo", r as never));
const taskBytes = (r: TaskRecord) => encodePayload("swarmlink.v1.Task", r.task as never);

describe("the dispatcher's record writer (record-writer.ts)", () => {
  it("writes the very bytes protobufjs writes, for any record", () => {
    fc.assert(
      fc.property(record, (r) => {
        assert.deepEqual(Buffer.from(writeRecord(r, taskBytes(r))!), protobufjs(r));
      }),
      { numRuns: 1_000 },
    );
  });

  it("declines numbers it does not write (negative, unsafe), which encodeRecord then encodes the generic way", () => {
    const base = newRecord(
      decodePayload("swarmlink.v1.Task", encodePayload("swarmlink.v1.Task", { id: "t1", kind: "k" })),
      3,
      5,
    );
    for (const patch of [
      { createdMs: -1 },
      { notBeforeMs: 2 ** 60 },
      { attempts: 1.5 },
      { attempts: 2 ** 32 },
    ]) {
      const r = { ...base, ...patch };
      assert.equal(writeRecord(r, taskBytes(r)), undefined, JSON.stringify(patch));
    }
    const negative = { ...base, createdMs: -1 };
    assert.deepEqual(Buffer.from(encodeRecord(negative)), protobufjs(negative));
    assert.equal(decodeRecord(encodeRecord(negative)).createdMs, -1);
    assert.throws(() => encodeRecord({ ...base, attempts: 1.5 }), /E_ENCODE|attempts/);
  });

  it("is what encodeRecord writes for an ordinary record", () => {
    const t = decodePayload(
      "swarmlink.v1.Task",
      encodePayload("swarmlink.v1.Task", { id: "t2", kind: "pick" }),
    );
    const r = {
      ...newRecord(t, 9, 1_700_000_000_000),
      state: TaskState.TASK_STATE_SUCCEEDED,
      assignee: "amr-1",
    };
    assert.deepEqual(Buffer.from(encodeRecord(r)), protobufjs(r));
  });

  it("writes an award's own fields as protobufjs does, and its task with the attempt set", () => {
    fc.assert(
      fc.property(record, safe, fc.nat(0xffffffff), safe, text, (r, token, attempt, deadline, coord) => {
        const fields = {
          taskId: r.task.id,
          agentId: r.assignee,
          fencingToken: token,
          coordinatorId: coord,
          attempt,
          deadlineMs: deadline,
        };
        const award = decodePayload("swarmlink.v1.Award", encodeAward(fields, r.task));
        const expected = decodePayload(
          "swarmlink.v1.Award",
          encodePayload("swarmlink.v1.Award", { ...fields, task: { ...r.task, attempt } }),
        );
        assert.deepEqual(award.toJSON(), expected.toJSON());
      }),
      { numRuns: 300 },
    );
  });

  it("remembers a submitted task's bytes as a copy of its own, not a view into the message's buffer", () => {
    const read = Buffer.from([9, 9, 1, 2, 3, 9]);
    const payload = read.subarray(2, 5); // as a decoded Envelope's payload is
    const own = ownTaskBytes(payload);
    assert.deepEqual([...own], [1, 2, 3]);
    read.fill(0);
    assert.deepEqual([...own], [1, 2, 3]);
    assert.equal(own.buffer.byteLength, own.length, "memory of its own, not a slice of a shared pool");
  });
});
