import assert from "node:assert/strict";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { ERROR_CODES, type ErrorCode, isSwarmError, SwarmError, toSwarmError } from "../../src/mod.js";

const REPO = fileURLToPath(new URL("../../../../", import.meta.url));

/** Every .ts/.js/.mjs file under packages/* /src and gateways/* /src, generated code excluded. */
function sources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === "node_modules" || name === "gen") continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(?:[cm]?[jt]s)$/.test(name) && !name.endsWith(".d.ts")) out.push(path);
    }
  };
  for (const top of ["packages", "gateways"]) {
    let entries: string[];
    try {
      entries = readdirSync(join(REPO, top));
    } catch {
      continue;
    }
    for (const pkg of entries) {
      const src = join(REPO, top, pkg, "src");
      try {
        if (statSync(src).isDirectory()) walk(src);
      } catch {
        // a package without src/
      }
    }
  }
  return out;
}

describe("error codes", () => {
  it("are all documented with a description", () => {
    for (const [code, description] of Object.entries(ERROR_CODES)) {
      assert.match(code, /^E_[A-Z_]+$/);
      assert.ok(description.trim().length > 10, `${code} has a description`);
    }
  });

  it('cover every code a source file throws with new SwarmError("E_…")', () => {
    const files = sources();
    assert.ok(
      files.some((f) => f.endsWith("envelope.ts")),
      "the scan finds this package's sources",
    );
    const missing: string[] = [];
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      for (const m of text.matchAll(/new\s+SwarmError\(\s*["'`](E_[A-Z0-9_]*)["'`]/g)) {
        if (!Object.hasOwn(ERROR_CODES, m[1]!)) missing.push(`${file.slice(REPO.length)}: ${m[1]}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it("carry code and context, and chain the cause", () => {
    const cause = new RangeError("index out of range");
    const err = new SwarmError("E_DECODE", "bad frame", { bytes: 3 }, { cause });
    assert.ok(err instanceof Error);
    assert.equal(err.name, "SwarmError");
    assert.equal(err.cause, cause);
    assert.deepEqual(err.toJSON(), { code: "E_DECODE", message: "bad frame", context: { bytes: 3 } });
    assert.ok(isSwarmError(err, "E_DECODE", "E_INVALID"));
    assert.equal(isSwarmError(err, "E_INVALID"), false);
    assert.equal(toSwarmError(err), err);
    const wrapped = toSwarmError(cause, "E_DECODE");
    assert.equal(wrapped.code satisfies ErrorCode, "E_DECODE");
    assert.equal(wrapped.cause, cause);
  });
});
