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
});
