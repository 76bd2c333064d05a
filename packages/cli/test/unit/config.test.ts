import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { resolveConfig } from "../../src/config.js";

describe("swarm up configuration", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "swarm-config-"));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const write = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it("reads a YAML file and a JSON file alike, flags and variables over the file", () => {
    const yaml = write("swarm.yaml", "nodeId: from-yaml\nmqttPort: 0\nhttpPort: 9001\n");
    const json = write("swarm.json", JSON.stringify({ nodeId: "from-json", mqttPort: 0 }));
    assert.equal(resolveConfig("up", { config: yaml }, {}).nodeId, "from-yaml");
    assert.equal(resolveConfig("up", { config: yaml }, {}).httpPort, 9001);
    assert.equal(resolveConfig("up", { config: json }, {}).nodeId, "from-json");
    assert.equal(resolveConfig("up", { config: yaml }, { SWARM_NODE_ID: "from-env" }).nodeId, "from-env");
    assert.equal(
      resolveConfig("up", { config: yaml, "node-id": "from-flag" }, { SWARM_NODE_ID: "x" }).nodeId,
      "from-flag",
    );
  });

  it("refuses a malformed YAML file, a non-mapping and an unknown key with a usage error", () => {
    for (const [name, text] of [
      ["bad.yaml", "nodeId: [unclosed\n"],
      ["list.yml", "- a\n- b\n"],
      ["unknown.yaml", "nodeld: typo\n"],
    ] as const) {
      assert.throws(
        () => resolveConfig("up", { config: write(name, text) }, {}),
        (e: Error) => e.name === "UsageError" && e.message.includes(name),
        name,
      );
    }
  });
});
