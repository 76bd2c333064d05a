import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";

/** A worker script run under tsx in its own process, talking in lines on stdout. */
export class Worker {
  readonly proc: ChildProcess;
  #lines: string[] = [];
  #waiters: Array<(line: string) => void> = [];

  constructor(script: string, args: string[]) {
    this.proc = spawn(process.execPath, ["--import", "tsx", script, ...args], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    createInterface({ input: this.proc.stdout! }).on("line", (line) => {
      const w = this.#waiters.shift();
      if (w) w(line);
      else this.#lines.push(line);
    });
  }

  /** The next line the worker prints; rejects after `ms`. */
  line(ms = 60_000): Promise<string> {
    const ready = this.#lines.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`worker printed nothing in ${ms} ms`)), ms);
      this.#waiters.push((l) => {
        clearTimeout(t);
        resolve(l);
      });
    });
  }

  exited(): Promise<number | null> {
    if (this.proc.exitCode !== null) return Promise.resolve(this.proc.exitCode);
    return new Promise((r) => this.proc.once("exit", (code) => r(code)));
  }

  async stop(): Promise<void> {
    this.proc.stdin?.end();
    const t = setTimeout(() => this.proc.kill("SIGKILL"), 3000);
    await this.exited();
    clearTimeout(t);
  }
}
