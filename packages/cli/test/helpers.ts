import { type ChildProcess, execFile, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The built binary: the tests run what users run. */
export const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url));

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `swarm …args` to completion. */
export function swarm(args: string[], env: Record<string, string> = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, SWARM_SERVER: "", ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** `swarm …args --json` parsed, asserting exit 0. */
export async function swarmJson<T>(args: string[]): Promise<T> {
  const r = await swarm([...args, "--json"]);
  if (r.code !== 0) throw new Error(`swarm ${args.join(" ")} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

export interface Endpoints {
  nodeId: string;
  http: string | null;
  mqtt: string | null;
}

/** A `swarm up … --json` process, once it printed its endpoints. */
export interface Up {
  endpoints: Endpoints;
  proc: ChildProcess;
  output(): string;
  /** SIGTERM; resolves with the exit code. */
  stop(): Promise<number | null>;
}

export function startUp(args: string[]): Promise<Up> {
  const proc = spawn(process.execPath, [BIN, "up", ...args, "--json"], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  proc.stderr.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once("exit", (code) => r(code)));
  const stop = async () => {
    if (proc.exitCode === null) proc.kill("SIGTERM");
    return exited;
  };
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      void stop();
      reject(new Error(`swarm up printed no endpoints in 20 s: ${out} ${err}`));
    }, 20_000);
    proc.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (!line) return;
      clearTimeout(t);
      resolve({ endpoints: JSON.parse(line) as Endpoints, proc, output: () => out + err, stop });
    });
    void exited.then((code) => {
      clearTimeout(t);
      reject(new Error(`swarm up exited ${code}: ${err}`));
    });
  });
}

/** Polls `cond` every 100 ms until it holds or `ms` pass. */
export async function waitFor<T>(what: string, ms: number, cond: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await cond().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
