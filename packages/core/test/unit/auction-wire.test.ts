import assert from "node:assert/strict";
import { encodeEnvelope, isSwarmError, wrap } from "@swarmlink/protocol";
import fc from "fast-check";
import { encodeBid, encodeOffer, readBid, readOffer } from "../../src/dispatcher/auction/mod.js";
import { T0, task } from "./auction-helpers.js";

const offerBytes = () =>
  encodeOffer({
    task: task(),
    round: 4,
    bidDeadlineMs: T0 + 200,
    coordinatorId: "node-1",
    bidSubject: "swarm.v1.tasks.task-1.bid",
    ttlMs: 200,
  });

describe("auction wire", () => {
  it("round-trips an offer and a bid: the bid answers the offer's task, round and envelope", () => {
    const received = readOffer(offerBytes());
    assert.equal(received.task.id, "task-1");
    assert.equal(received.offer.round, 4);
    const { bid, rejection } = readBid(encodeBid(received, "amr-07", 12.5), {
      taskId: "task-1",
      round: 4,
      maxBytes: 4096,
    });
    assert.equal(rejection, undefined);
    assert.equal(bid!.agentId, "amr-07");
    assert.equal(bid!.cost, 12.5);
  });

  it("refuses to encode a bid with a negative or non-finite cost, or a bad agent id", () => {
    const received = readOffer(offerBytes());
    for (const cost of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(
        () => encodeBid(received, "amr-07", cost),
        (err) => isSwarmError(err, "E_INVALID"),
      );
    }
    assert.throws(
      () => encodeBid(received, "amr.07", 1),
      (err) => isSwarmError(err, "E_INVALID"),
    );
  });

  it("refuses an offer without its task, or of another type", () => {
    const empty = encodeEnvelope(wrap("swarmlink.v1.TaskOffer", { round: 1 }, { source: "n" }));
    assert.throws(
      () => readOffer(empty),
      (err) => isSwarmError(err, "E_INVALID"),
    );
    const other = encodeEnvelope(wrap("swarmlink.v1.Bid", { taskId: "t" }, { source: "n" }));
    assert.throws(
      () => readOffer(other),
      (err) => isSwarmError(err, "E_INVALID"),
    );
  });

  it("reads arbitrary bytes as an offer only by throwing a SwarmError, and as a bid never by throwing", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        assert.equal(readBid(bytes, { taskId: "task-1", round: 1, maxBytes: 4096 }).rejection, "malformed");
        try {
          readOffer(bytes);
          assert.fail("random bytes read as an offer");
        } catch (err) {
          assert.ok(isSwarmError(err), String(err));
        }
      }),
      { numRuns: 1000 },
    );
  });
});
