import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { SCHEMAS_DIR } from "../schema.js";

const SCRIPT = fileURLToPath(new URL("../../../../scripts/schemas-check.mjs", import.meta.url));

function check(...args: string[]) {
  const r = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: "utf8" });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe("schemas:check", function () {
  // buf is a native binary; a cold start of lint + breaking takes a second or two.
  this.timeout(60_000);
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "swarmlink-schemas-"));
    cpSync(SCHEMAS_DIR, join(dir, "schemas"), { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const edit = (file: string, from: string, to: string) => {
    const path = join(dir, "schemas/swarmlink/v1", file);
    const text = readFileSync(path, "utf8");
    assert.ok(text.includes(from), `${file} contains ${from}`);
    writeFileSync(path, text.replace(from, to));
  };

  it("passes unchanged schemas", () => {
    const r = check("--schemas", join(dir, "schemas"), "--against", SCHEMAS_DIR);
    assert.equal(r.status, 0, r.output);
    assert.match(r.output, /schemas:check: ok/);
  });

  it("fails on a renumbered field and names it", () => {
    edit("task.proto", "uint64 fencing_token = 3;", "uint64 fencing_token = 30;");
    const r = check("--schemas", join(dir, "schemas"), "--against", SCHEMAS_DIR);
    assert.equal(r.status, 1, r.output);
    assert.match(r.output, /field "3" with name "fencing_token" on message "Award"/);
  });

  it("fails on a retyped field", () => {
    edit("envelope.proto", "int64 time_ms = 4;", "string time_ms = 4;");
    const r = check("--schemas", join(dir, "schemas"), "--against", SCHEMAS_DIR);
    assert.equal(r.status, 1, r.output);
    assert.match(r.output, /time_ms/);
  });

  it("accepts a new field and a removed one that is reserved", () => {
    edit(
      "agent.proto",
      "  float load = 5;\n",
      '  reserved 5;\n  reserved "load";\n  uint32 queue_depth = 16;\n',
    );
    const r = check("--schemas", join(dir, "schemas"), "--against", SCHEMAS_DIR);
    assert.equal(r.status, 0, r.output);
  });

  it("fails on a deleted field whose name is not reserved", () => {
    edit("agent.proto", "  float load = 5;\n", "  reserved 5;\n");
    const r = check("--schemas", join(dir, "schemas"), "--against", SCHEMAS_DIR);
    assert.equal(r.status, 1, r.output);
    assert.match(r.output, /"load"/);
  });

  it("fails lint on an enum without an UNSPECIFIED zero value", () => {
    edit("agent.proto", "AGENT_KIND_UNSPECIFIED = 0;", "AGENT_KIND_NONE = 0;");
    const r = check("--schemas", join(dir, "schemas"), "--against", SCHEMAS_DIR);
    assert.equal(r.status, 1, r.output);
    assert.match(r.output, /ENUM_ZERO_VALUE_SUFFIX|UNSPECIFIED/);
  });

  it("exits 2 when the baseline cannot be read", () => {
    const r = check("--schemas", join(dir, "schemas"), "--against", join(dir, "nowhere"));
    assert.equal(r.status, 2, r.output);
  });
});
