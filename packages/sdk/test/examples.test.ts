import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../../", import.meta.url));

/** Runs a TypeScript file under tsx from the repository root; resolves with its exit code and output. */
function run(
  file: string,
  timeoutMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], { cwd: ROOT, stdio: "pipe" });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${file} still running after ${timeoutMs} ms:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe("examples/agent", () => {
  it("embedded.ts runs a swarm in one process, prints 10 results and exits 0", async function () {
    this.timeout(90_000);
    const { code, stdout, stderr } = await run("examples/agent/embedded.ts", 80_000);
    assert.equal(code, 0, `exit ${code}\n${stdout}\n${stderr}`);
    const results = stdout.split("\n").filter((l) => l.startsWith("result "));
    assert.equal(results.length, 10, stdout);
    for (const line of results) assert.match(line, /by amr-[123]: \{"deliveredBy":"amr-[123]"/);
    const numbers = results.map((l) => Number(/^result (\d+)\/10/.exec(l)?.[1])).sort((a, b) => a - b);
    assert.deepEqual(numbers, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    assert.doesNotMatch(stderr, /Warning|Error/, stderr);
  });
});
