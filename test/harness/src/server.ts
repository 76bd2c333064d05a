import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { HarnessError, isHarnessError } from "./errors.js";
import { HOST, releasePorts } from "./ports.js";
import { removeAtExit, ServerProcess, type SpawnSpec } from "./process.js";

/**
 * A private server process started by the harness: on 127.0.0.1, on its own free port, with its own
 * temp dir. Every test that starts one stops it.
 */
export interface ServerHandle {
  /** `"nats"`, `"redis"`, `"mosquitto"` or `"rabbitmq"`. */
  readonly name: string;
  /** Always `"127.0.0.1"`. */
  readonly host: string;
  readonly port: number;
  /** `nats://127.0.0.1:P`, `redis://127.0.0.1:P`, `mqtt://127.0.0.1:P` or `amqp://guest:guest@127.0.0.1:P`. */
  readonly url: string;
  /** The pid of the running server process; it changes after {@link ServerHandle.restart}. */
  readonly pid: number;
  /** The private temp dir: data, config, logs. Removed by {@link ServerHandle.stop}. */
  readonly dir: string;
  /** SIGTERM, wait for exit (SIGKILL after a grace period), remove the dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL and wait for exit; the dir is kept so {@link ServerHandle.restart} reuses the data. */
  kill(): Promise<void>;
  /** SIGSTOP: the server keeps its sockets but answers nothing. */
  pause(): void;
  /** SIGCONT after {@link ServerHandle.pause}. */
  resume(): void;
  /** Starts again on the same port and data dir (stopping it first if it runs) and waits until ready. */
  restart(): Promise<void>;
  /** The server's log so far, for failure messages. */
  log(): Promise<string>;
}

/** How to start one server; the handle runs it again on every restart. */
export interface LaunchSpec {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly dir: string;
  /** Every port the server holds, released for reuse when it is stopped. */
  readonly ports: readonly number[];
  /** What to spawn; stdout and stderr go to `spawn.logFile`. */
  readonly spawn: SpawnSpec;
  /** Other files {@link ServerHandle.log} returns, after the stdout log (e.g. RabbitMQ's own log). */
  readonly extraLogs?: readonly string[];
  /** One readiness check: resolves when the server serves, rejects (soon) when not yet. */
  readonly ready: () => Promise<void>;
  /** Called once the server is ready, e.g. to adopt the pid a wrapper wrote into its pid file. */
  readonly afterReady?: (proc: ServerProcess) => Promise<void>;
  /** Called by stop() after the server exited, before the dir is removed (e.g. to stop a helper). */
  readonly afterStop?: () => Promise<void>;
  /** Give up on readiness after this many ms. */
  readonly startTimeoutMs: number;
  /** Wait this long after SIGTERM before SIGKILL, in ms. */
  readonly stopGraceMs: number;
}

/** Lines of log a start failure quotes. */
const LOG_TAIL_LINES = 40;
/** Pauses between readiness checks grow from the first to the last, in ms (most servers need ~10). */
const READY_POLL_FIRST_MS = 5;
const READY_POLL_MAX_MS = 100;
/**
 * How a server says its port is taken (nats-server, redis, mosquitto; RabbitMQ says eaddrinuse) or,
 * for Erlang, that epmd still holds the node name of the process that was just killed.
 */
const ADDRESS_IN_USE =
  /address already in use|address in use|eaddrinuse|seems to be in use by another Erlang node/i;
/** A restart on the same port tries this many times while the old socket or node name lingers. */
const RESTART_ATTEMPTS = 5;

type State = "running" | "paused" | "killed" | "stopped";

/** Reads `files` in order, skipping missing ones. */
export async function readLogs(files: readonly string[]): Promise<string> {
  const parts = await Promise.all(files.map((f) => readFile(f, "utf8").catch(() => "")));
  return parts.filter((p) => p !== "").join("\n");
}

function tail(text: string): string {
  return text.trimEnd().split("\n").slice(-LOG_TAIL_LINES).join("\n");
}

/** The {@link ServerHandle} every `start*` function returns (NATS adds fields in a subclass). */
export class ManagedServer implements ServerHandle {
  readonly host = HOST;
  readonly #spec: LaunchSpec;
  #proc: ServerProcess | undefined;
  #state: State = "killed";
  #stopping: Promise<void> | undefined;
  readonly #forgetDir: () => void;

  constructor(spec: LaunchSpec) {
    this.#spec = spec;
    this.#forgetDir = removeAtExit(spec.dir);
  }

  get name(): string {
    return this.#spec.name;
  }
  get port(): number {
    return this.#spec.port;
  }
  get url(): string {
    return this.#spec.url;
  }
  get dir(): string {
    return this.#spec.dir;
  }
  get pid(): number {
    return this.#proc?.pid ?? -1;
  }

  /** Spawns the server and waits until it is ready; on failure nothing is left running. */
  async start(): Promise<void> {
    const proc = ServerProcess.spawn(this.#spec.spawn);
    this.#proc = proc;
    this.#state = "running";
    try {
      await this.#waitReady(proc);
      await this.#spec.afterReady?.(proc);
    } catch (err) {
      await proc.kill(this.name).catch(() => undefined);
      this.#state = "killed";
      throw err;
    }
  }

  async #waitReady(proc: ServerProcess): Promise<void> {
    const { name, port, startTimeoutMs } = this.#spec;
    const deadline = Date.now() + startTimeoutMs;
    let last: unknown;
    for (let pause = READY_POLL_FIRST_MS; ; pause = Math.min(pause * 2, READY_POLL_MAX_MS)) {
      const outcome = await Promise.race([
        this.#spec.ready().then(
          () => "ready" as const,
          (err: unknown) => {
            last = err;
            return "not yet" as const;
          },
        ),
        proc.exited,
      ]);
      if (outcome === "ready") return;
      if (proc.exitInfo) {
        const log = await this.log();
        const how =
          proc.exitInfo.error?.message ?? `code ${proc.exitInfo.code}, signal ${proc.exitInfo.signal}`;
        throw new HarnessError("E_HARNESS_START", `${name} exited during start-up on port ${port} (${how})`, {
          server: name,
          port,
          logTail: tail(log),
          addressInUse: ADDRESS_IN_USE.test(log),
        });
      }
      if (Date.now() > deadline) {
        const why = last instanceof Error ? last.message : String(last);
        throw new HarnessError(
          "E_HARNESS_START",
          `${name} not ready on port ${port} within ${startTimeoutMs} ms (last check: ${why})`,
          { server: name, port, pid: proc.pid, logTail: tail(await this.log()) },
        );
      }
      await sleep(pause);
    }
  }

  #live(op: string): ServerProcess {
    if (this.#state === "stopped") {
      throw new HarnessError("E_HARNESS_STATE", `${op}: ${this.name} on port ${this.port} was stopped`, {
        server: this.name,
        port: this.port,
      });
    }
    if (this.#state === "killed" || !this.#proc) {
      throw new HarnessError("E_HARNESS_STATE", `${op}: ${this.name} on port ${this.port} is not running`, {
        server: this.name,
        port: this.port,
      });
    }
    return this.#proc;
  }

  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      const proc = this.#proc;
      this.#state = "stopped";
      if (proc && !proc.exitInfo) await proc.terminate(this.#spec.stopGraceMs, this.name);
      await this.#spec.afterStop?.();
      await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
      this.#forgetDir();
      releasePorts(...this.#spec.ports);
    })();
    return this.#stopping;
  }

  async kill(): Promise<void> {
    if (this.#state === "killed") return;
    const proc = this.#live("kill");
    this.#state = "killed";
    await proc.kill(this.name);
  }

  pause(): void {
    const proc = this.#live("pause");
    proc.signal("SIGSTOP");
    proc.waitStopped();
    this.#state = "paused";
  }

  resume(): void {
    this.#live("resume").signal("SIGCONT");
    this.#state = "running";
  }

  async restart(): Promise<void> {
    if (this.#state === "stopped") this.#live("restart");
    if (this.#proc && !this.#proc.exitInfo) await this.#proc.terminate(this.#spec.stopGraceMs, this.name);
    this.#state = "killed";
    for (let attempt = 1; ; attempt++) {
      try {
        await this.start();
        return;
      } catch (err) {
        // The old listening socket (or RabbitMQ's node name in epmd) may linger a moment after a kill.
        if (attempt >= RESTART_ATTEMPTS || !isHarnessError(err) || !err.context.addressInUse) throw err;
        await sleep(200 * attempt);
      }
    }
  }

  log(): Promise<string> {
    return readLogs([this.#spec.spawn.logFile, ...(this.#spec.extraLogs ?? [])]);
  }
}

/** A new private dir under the system temp dir, e.g. `/tmp/swarmlink-redis-Ab12Cd`. */
export function makeServerDir(name: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `swarmlink-${name}-`));
}

/** How many fresh ports a start tries when another process takes its port first. */
const START_ATTEMPTS = 3;

/**
 * Builds a server (fresh ports, fresh dir) and starts it; when the port was taken in the meantime,
 * stops it (removing its dir) and builds another on fresh ports.
 */
export async function launch<T extends ManagedServer>(make: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    let server: T | undefined;
    try {
      server = await make();
      await server.start();
      return server;
    } catch (err) {
      await server?.stop();
      if (attempt >= START_ATTEMPTS || !isHarnessError(err) || !err.context.addressInUse) throw err;
    }
  }
}
