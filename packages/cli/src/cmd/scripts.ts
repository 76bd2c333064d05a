import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { SwarmError } from "@swarmlink/protocol";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";

/** The repository root: the nearest folder above this file holding `scripts/schemas-check.mjs`. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "scripts", "schemas-check.mjs"))) return dir;
    const up = resolve(dir, "..");
    if (up === dir)
      throw new SwarmError("E_UNSUPPORTED", "swarm schema/bench run inside the Swarmlink repository only");
    dir = up;
  }
}

/** Runs a child with this terminal; resolves with its exit code. */
function run(cmd: string, args: string[], cwd: string): Promise<number> {
  return new Promise((res, rej) => {
    const child = spawn(cmd, args, { cwd, stdio: "inherit" });
    child.on("error", rej);
    child.on("exit", (code, signal) => res(code ?? (signal ? 1 : 0)));
  });
}

/** `swarm schema check [args]`: the root `schemas:check` script (buf lint and breaking). */
export async function schema(argv: string[], io: Io): Promise<number> {
  if (argv[0] === "--help" || argv[0] === "-h" || argv.length === 0) return io.help("schema");
  if (argv[0] !== "check") throw new UsageError(`unknown schema command '${argv[0]}' (check)`, "schema");
  const root = repoRoot();
  return run(process.execPath, [join(root, "scripts", "schemas-check.mjs"), ...argv.slice(1)], root);
}

/** `swarm bench [suite…] [--json]`: the root benchmark runner (`bench/run.ts`, through tsx). */
export async function bench(argv: string[], io: Io): Promise<number> {
  if (argv.includes("-h")) return io.help("bench");
  const root = repoRoot();
  return run(process.execPath, ["--import", "tsx", join(root, "bench", "run.ts"), ...argv], root);
}
