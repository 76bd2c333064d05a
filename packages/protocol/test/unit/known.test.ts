import assert from "node:assert/strict";
import { isValidId, KnownStrings, validateId } from "../../src/mod.js";

describe("KnownStrings", () => {
  it("keeps a string used again and again through a churn of strings used once", () => {
    const known = new KnownStrings(8);
    known.add("heartbeat");
    for (let i = 0; i < 100; i++) {
      known.add(`once-${i}`);
      assert.ok(known.has("heartbeat"), `lost after ${i}`);
    }
    assert.equal(known.has("once-0"), false);
  });

  it("holds at most two generations", () => {
    const known = new KnownStrings(4);
    for (let i = 0; i < 12; i++) known.add(`s${i}`);
    const held = Array.from({ length: 12 }, (_, i) => known.has(`s${i}`)).filter(Boolean).length;
    assert.ok(held <= 8, `${held} held`);
  });
});

describe("ids once found valid", () => {
  it("stay valid, and an invalid id is refused however many valid ones were checked", () => {
    for (let i = 0; i < 10_000; i++) assert.ok(isValidId(`robot-${i}`));
    for (const bad of ["robot.1", "robot 1", "", "a\u200bb", "\ud800"]) {
      assert.equal(isValidId(bad), false, JSON.stringify(bad));
      assert.equal(isValidId(bad), false, `${JSON.stringify(bad)} a second time`);
    }
    assert.throws(() => validateId("agentId", "amr.07"), /must not contain/);
    assert.equal(validateId("agentId", "robot-9999"), "robot-9999");
  });
});
