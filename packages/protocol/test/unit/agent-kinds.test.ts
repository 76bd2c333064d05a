import assert from "node:assert/strict";
import { AGENT_KIND_NAMES, AgentKind, agentKindOf } from "../../src/mod.js";

describe("agent kind names", () => {
  it("name every kind but UNSPECIFIED, and read back", () => {
    assert.deepEqual(Object.keys(AGENT_KIND_NAMES).sort(), [
      "bot",
      "gateway",
      "operator",
      "robot",
      "service",
    ]);
    assert.equal(agentKindOf("robot"), AgentKind.AGENT_KIND_ROBOT);
    assert.equal(agentKindOf("operator"), AgentKind.AGENT_KIND_OPERATOR);
  });

  it("are own names only: inherited ones and anything else are undefined", () => {
    for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "ROBOT", "", "robots"]) {
      assert.equal(agentKindOf(name), undefined, name);
    }
  });
});
