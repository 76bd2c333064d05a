import assert from "node:assert/strict";
import { decodePayload, encodePayload, type Task, TaskState } from "@swarmlink/protocol";
import fc from "fast-check";
import { encodeAward, encodeAwardBatch, rememberTaskBytes } from "../../src/dispatcher/encoding.js";
import { decodeRecord, encodeRecord, newRecord, type TaskRecord } from "../../src/dispatcher/record.js";

const id = fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/);
const text = fc.stringMatching(/^[a-zA-Z0-9 _éü漢🤖-]{0,20}$/u);
const anyTask = fc
  .record({
    id,
    kind: text,
    capabilities: fc.array(text, { maxLength: 4 }),
    attributes: fc.dictionary(text, text, { maxKeys: 3 }),
    priority: fc.integer({ min: 0, max: 9 }),
    payload: fc.uint8Array({ maxLength: 64 }),
  })
  .map((t) => decodePayload("swarmlink.v1.Task", encodePayload("swarmlink.v1.Task", t)));

/** A TaskInfo's bytes as JSON (bytes fields in base64), to compare two encodings of one record. */
const json = (bytes: Uint8Array) => decodePayload("swarmlink.v1.TaskInfo", bytes).toJSON();
/** The record as protobufjs encodes it whole: what the spliced encoding must equal. */
const plain = (r: TaskRecord) => encodePayload("swarmlink.v1.TaskInfo", r as never);

describe("the dispatcher's spliced encodings (encoding.ts)", () => {
  it("encode a record as protobufjs would, whether its task's bytes were remembered or not", () => {
    fc.assert(
      fc.property(anyTask, fc.boolean(), fc.integer({ min: 0, max: 5 }), (task, remember, attempts) => {
        if (remember) rememberTaskBytes(task, encodePayload("swarmlink.v1.Task", task));
        const rec = {
          ...newRecord(task, 7, 1_700_000_000_000),
          state: TaskState.TASK_STATE_AWARDED,
          attempts,
        };
        rec.assignee = "amr-1";
        assert.deepEqual(json(encodeRecord(rec)), json(plain(rec)));
        assert.equal(decodeRecord(encodeRecord(rec)).task.id, task.id);
      }),
      { numRuns: 300 },
    );
  });

  it("encode an award whose task carries the attempt, alone and in a batch", () => {
    fc.assert(
      fc.property(anyTask, fc.integer({ min: 1, max: 1000 }), (task: Task, attempt) => {
        const fields = {
          taskId: task.id,
          agentId: "amr-1",
          fencingToken: 2 ** 40,
          coordinatorId: "n1",
          attempt,
        };
        const bytes = encodeAward(fields, task);
        const award = decodePayload("swarmlink.v1.Award", bytes);
        const expected = decodePayload(
          "swarmlink.v1.Award",
          encodePayload("swarmlink.v1.Award", { ...fields, task: { ...task, attempt } }),
        );
        assert.deepEqual(award.toJSON(), expected.toJSON());
        assert.equal(award.task?.attempt, attempt);
        const batch = decodePayload("swarmlink.v1.AwardBatch", encodeAwardBatch([bytes, bytes]));
        assert.deepEqual(
          batch.awards.map((a) =>
            decodePayload("swarmlink.v1.Award", encodePayload("swarmlink.v1.Award", a)).toJSON(),
          ),
          [expected.toJSON(), expected.toJSON()],
        );
      }),
      { numRuns: 300 },
    );
  });

  it("encode an empty batch as an empty message", () => {
    assert.equal(encodeAwardBatch([]).length, 0);
    assert.deepEqual(decodePayload("swarmlink.v1.AwardBatch", encodeAwardBatch([])).awards, []);
  });

  it("keeps a task as submitted — fields in any order, fields this build does not know — and sets the award's attempt over the submitter's", () => {
    const t = { id: "01J0000000000000000000000A", kind: "pick", capabilities: ["pick"], attempt: 9 };
    const canonical = encodePayload("swarmlink.v1.Task", t);
    // Field 99 (varint 7), unknown here, then the known fields in reverse order of their numbers.
    const unknown = new Uint8Array([0xf8, 0x06, 0x07]);
    const fields = splitFields(canonical).reverse();
    const submitted = new Uint8Array([...unknown, ...fields.flatMap((f) => [...f])]);
    const task = decodePayload("swarmlink.v1.Task", submitted);
    rememberTaskBytes(task, submitted);
    const rec = { ...newRecord(task, 7, 1_700_000_000_000), state: TaskState.TASK_STATE_QUEUED };
    const stored = encodeRecord(rec);
    assert.ok(includes(stored, submitted), "the record holds the task's bytes as submitted");
    assert.deepEqual(decodeRecord(stored).task.toJSON(), task.toJSON());
    const fieldsOfAward = {
      taskId: t.id,
      agentId: "amr-1",
      fencingToken: 5,
      coordinatorId: "n1",
      attempt: 2,
    };
    const awarded = decodePayload("swarmlink.v1.Award", encodeAward(fieldsOfAward, task));
    assert.equal(awarded.task?.attempt, 2, "the award's attempt, not the submitter's 9");
    assert.deepEqual(awarded.task?.capabilities, ["pick"]);
  });
});

/** The fields of a message of varint and length-delimited fields with one-byte tags, each as its bytes. */
function splitFields(bytes: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const start = at;
    const wire = bytes[at++]! & 7;
    let n = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++]!;
      n |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    if (wire === 2) at += n;
    out.push(bytes.subarray(start, at));
  }
  return out;
}

function includes(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return false;
}
