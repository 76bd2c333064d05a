import { type ChildProcess, spawn } from "node:child_process";
import { accessSync, closeSync, constants, openSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { HarnessError } from "./errors.js";

/** What to run, where, as whom, and where its stdout and stderr go. */
export interface SpawnSpec {
  /** Absolute path of the executable. */
  readonly file: string;
  readonly args: readonly string[];
  /** Working directory (the server's private dir). */
  readonly cwd: string;
  /** The whole environment of the child. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** Run as this user and group (only when the harness runs as root). */
  readonly uid?: number;
  readonly gid?: number;
  /** stdout and stderr are appended to this file. */
  readonly logFile: string;
}

/** How a process ended. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be spawned at all. */
  readonly error?: Error;
}

/** How long a process may take to disappear after SIGKILL before we call it stuck, in ms. */
const KILL_WAIT_MS = 10_000;
/** How often a pid that is not our direct child is polled for its exit, in ms. */
const POLL_MS = 20;

/** Every child still running; killed with SIGKILL when this Node process exits, however it exits. */
const live = new Set<ServerProcess>();
/** Server dirs not yet removed by a stop(); removed (best effort) when this Node process exits. */
const dirs = new Set<string>();
let hooksInstalled = false;

function killAllNow(): void {
  for (const proc of live) proc.signal("SIGKILL");
  for (const dir of dirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 2 });
    } catch {
      // A server still dying may hold it for a moment; a temp dir left behind is no reason to fail.
    }
  }
}

/**
 * Removes `dir` when this Node process exits without the server having been stopped (a crashed or
 * interrupted test run). Returns the function that forgets it again, once stop() removed it.
 */
export function removeAtExit(dir: string): () => void {
  installExitHooks();
  dirs.add(dir);
  return () => {
    dirs.delete(dir);
  };
}

function onSignal(sig: NodeJS.Signals): void {
  killAllNow();
  // We were the only listener, so without us the signal would have ended the process: do that now.
  if (process.listenerCount(sig) === 1) {
    process.removeAllListeners(sig);
    process.kill(process.pid, sig);
  }
}

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on("exit", killAllNow);
  for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) process.on(sig, onSignal);
}

/**
 * `setpriv --pdeathsig KILL` makes the kernel SIGKILL the server when this Node process dies, even
 * by SIGKILL, where no 'exit' handler runs. setpriv execs the server, so the pid stays the server's.
 */
const SETPRIV = "/usr/bin/setpriv";
const canSetPdeathsig = ((): boolean => {
  if (process.platform !== "linux") return false;
  try {
    accessSync(SETPRIV, constants.X_OK);
    return true;
  } catch {
    return false;
  }
})();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * One running server process. Its stdio goes to a file and the child is unref'd, so it never keeps
 * the Node event loop alive by itself; every wait below holds a timer, which does.
 */
export class ServerProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<ExitInfo>;
  #exit: ExitInfo | undefined;
  #targetPid: number;

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.#targetPid = child.pid ?? -1;
    this.#exited = new Promise((resolve) => {
      const done = (info: ExitInfo): void => {
        if (this.#exit) return;
        this.#exit = info;
        live.delete(this);
        resolve(info);
      };
      child.once("exit", (code, signal) => done({ code, signal }));
      child.once("error", (error) => done({ code: null, signal: null, error }));
    });
  }

  /** Spawns `spec` with stdio appended to `spec.logFile`; rejects if the executable cannot be run. */
  static spawn(spec: SpawnSpec): ServerProcess {
    installExitHooks();
    const fd = openSync(spec.logFile, "a");
    try {
      const [file, args] = canSetPdeathsig
        ? [SETPRIV, ["--pdeathsig", "KILL", "--", spec.file, ...spec.args]]
        : [spec.file, [...spec.args]];
      const child = spawn(file, args, {
        cwd: spec.cwd,
        env: spec.env ?? process.env,
        stdio: ["ignore", fd, fd],
        detached: false,
        ...(spec.uid === undefined ? {} : { uid: spec.uid }),
        ...(spec.gid === undefined ? {} : { gid: spec.gid }),
      });
      child.unref();
      const proc = new ServerProcess(child);
      if (child.pid !== undefined) live.add(proc);
      return proc;
    } finally {
      closeSync(fd);
    }
  }

  /** The pid signals go to: the spawned process, or the one {@link adopt} named. */
  get pid(): number {
    return this.#targetPid;
  }

  /** How the process ended, or undefined while it runs. */
  get exitInfo(): ExitInfo | undefined {
    return this.#exit;
  }

  /**
   * Signals go to `pid` from now on (a wrapper's real server, read from its pid file). The process
   * counts as exited only when both the spawned child and `pid` are gone.
   */
  adopt(pid: number): void {
    this.#targetPid = pid;
  }

  /** Sends `sig` to the server; a process that is already gone is not an error. */
  signal(sig: NodeJS.Signals): void {
    for (const pid of new Set([this.#targetPid, this.#child.pid ?? -1])) {
      if (pid <= 0 || (pid === this.#child.pid && this.#exit)) continue;
      try {
        process.kill(pid, sig);
      } catch {
        // ESRCH: it exited between our check and the signal.
      }
    }
  }

  /**
   * Blocks until every thread of the target is stopped, up to `timeoutMs`: SIGSTOP takes effect a
   * little after kill() returns (each thread stops at its next entry into the kernel), and a server
   * that answers one more request in between makes "paused" a lie.
   */
  waitStopped(timeoutMs = 2000): void {
    const deadline = Date.now() + timeoutMs;
    const nap = new Int32Array(new SharedArrayBuffer(4));
    while (!allThreadsStopped(this.#targetPid) && Date.now() < deadline) Atomics.wait(nap, 0, 0, 1);
  }

  /** Resolves with how the process ended, or undefined if it still runs after `timeoutMs`. */
  async waitExit(timeoutMs: number): Promise<ExitInfo | undefined> {
    const ac = new AbortController();
    const timer = sleep(timeoutMs, undefined, { signal: ac.signal }).catch(() => undefined);
    const info = await Promise.race([this.#exited, timer]);
    ac.abort();
    if (!info) return undefined;
    // A pid we adopted is not our child: poll until it is gone too.
    const deadline = Date.now() + timeoutMs;
    while (this.#targetPid !== this.#child.pid && isAlive(this.#targetPid)) {
      if (Date.now() > deadline) return undefined;
      await sleep(POLL_MS);
    }
    return info;
  }

  /** The exit of the process, whenever it comes (no timer: does not keep the event loop alive). */
  get exited(): Promise<ExitInfo> {
    return this.#exited;
  }

  /** SIGTERM (and SIGCONT, so a paused server gets it), then SIGKILL after `graceMs`. */
  async terminate(graceMs: number, name: string): Promise<ExitInfo> {
    this.signal("SIGTERM");
    this.signal("SIGCONT");
    return (await this.waitExit(graceMs)) ?? this.kill(name);
  }

  /** SIGKILL, and wait until the process is gone. */
  async kill(name: string): Promise<ExitInfo> {
    this.signal("SIGKILL");
    const info = await this.waitExit(KILL_WAIT_MS);
    if (info) return info;
    throw new HarnessError("E_HARNESS_STOP", `${name} (pid ${this.#targetPid}) survived SIGKILL`, {
      server: name,
      pid: this.#targetPid,
    });
  }
}

/** Whether every thread of `pid` is stopped (state T or t in /proc), or the process is gone. */
function allThreadsStopped(pid: number): boolean {
  try {
    return readdirSync(`/proc/${pid}/task`).every((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
      return state === "T" || state === "t";
    });
  } catch {
    return true; // gone (or not Linux): nothing left to wait for
  }
}
