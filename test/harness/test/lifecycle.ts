import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { readdir, readlink } from "node:fs/promises";
import { isHarnessError, type ServerHandle } from "../src/mod.js";

/** True while a process with this pid exists (a zombie awaiting its parent's wait counts as gone). */
export function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return !isZombie(pid);
}

function isZombie(pid: number): boolean {
  try {
    // /proc/PID/stat: "pid (comm) S …"; comm may hold spaces, so read the state after the last ")".
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) === "Z";
  } catch {
    return false;
  }
}

/**
 * Pids of live processes whose working directory is `dir` or under it: every process a server
 * started (RabbitMQ's epmd, erl_child_setup, inet_gethost, its disk monitor) inherits it.
 */
export async function processesIn(dir: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => "");
    if ((cwd === dir || cwd.startsWith(`${dir}/`) || cwd.startsWith(`${dir} `)) && isRunning(pid))
      found.push(pid);
  }
  return found;
}

/** Asserts that `probe` fails because nobody answers in time (a paused server) or the port is closed. */
export async function assertNoAnswer(probe: () => Promise<unknown>, why: RegExp): Promise<void> {
  await assert.rejects(probe, (err: unknown) => {
    assert.ok(isHarnessError(err, "E_HARNESS_PROBE"), String(err));
    assert.match(err.message, why);
    return true;
  });
}

/** What the shared lifecycle suite needs to know about one kind of server. */
export interface LifecycleSubject {
  readonly start: () => Promise<ServerHandle>;
  /** One request in the server's own protocol, with a deadline in ms. */
  readonly probe: (port: number, timeoutMs: number) => Promise<unknown>;
  readonly scheme: string;
  /** Test a restart of the running server too (RabbitMQ's costs ~8 s). @default true */
  readonly restartWhileRunning?: boolean;
  /** For the before() hook that starts the server. @default 30000 */
  readonly startTimeoutMs?: number;
}

/**
 * The behaviour every handle shares: it answers its protocol, pause and resume, kill -9 and
 * restart on the same port, restart while running, stop leaves nothing behind and is idempotent.
 * One server per describe(), because RabbitMQ takes seconds to start.
 */
export function lifecycleSuite(subject: LifecycleSubject): void {
  let server: ServerHandle;
  let pids: number[] = [];

  before(async function () {
    this.timeout(subject.startTimeoutMs ?? 30_000);
    server = await subject.start();
    pids.push(server.pid);
  });

  after(async function () {
    this.timeout(60_000);
    await server?.stop();
  });

  it("answers its own protocol on 127.0.0.1 at the port in its url", async () => {
    assert.equal(server.host, "127.0.0.1");
    assert.ok(server.url.startsWith(subject.scheme), server.url);
    assert.ok(
      server.url.endsWith(`@127.0.0.1:${server.port}`) || server.url.endsWith(`//127.0.0.1:${server.port}`),
    );
    assert.ok(isRunning(server.pid), `pid ${server.pid} runs`);
    assert.ok(existsSync(server.dir));
    await subject.probe(server.port, 2_000);
  });

  it("stops answering while paused and answers again once resumed", async () => {
    server.pause();
    try {
      await assertNoAnswer(() => subject.probe(server.port, 500), /no answer within 500 ms/);
    } finally {
      server.resume();
    }
    await subject.probe(server.port, 5_000);
  });

  it("stays dead after kill -9 and comes back on the same port with restart", async function () {
    this.timeout(60_000);
    const { port, pid, dir } = server;
    await server.kill();
    assert.equal(isRunning(pid), false, `pid ${pid} is gone`);
    await assertNoAnswer(() => subject.probe(port, 500), /ECONNREFUSED|closed/);
    assert.ok(existsSync(dir), "the dir is kept for the restart");
    await server.restart();
    assert.equal(server.port, port);
    assert.notEqual(server.pid, pid);
    pids.push(server.pid);
    await subject.probe(server.port, 2_000);
  });

  if (subject.restartWhileRunning ?? true) {
    it("restarts while running on the same port with a new pid", async function () {
      this.timeout(60_000);
      const { port, pid } = server;
      await server.restart();
      assert.equal(server.port, port);
      assert.notEqual(server.pid, pid);
      assert.equal(isRunning(pid), false, `old pid ${pid} is gone`);
      pids.push(server.pid);
      await subject.probe(server.port, 2_000);
    });
  }

  it("leaves no process and no dir behind when stopped, and stops only once", async function () {
    this.timeout(60_000);
    const { dir, port } = server;
    await server.stop();
    await server.stop();
    for (const pid of pids) assert.equal(isRunning(pid), false, `pid ${pid} is gone`);
    assert.deepEqual(await processesIn(dir), []);
    assert.equal(existsSync(dir), false, `${dir} is removed`);
    await assertNoAnswer(() => subject.probe(port, 500), /ECONNREFUSED|closed/);
    await assert.rejects(server.restart(), (err: unknown) => isHarnessError(err, "E_HARNESS_STATE"));
    assert.throws(
      () => server.pause(),
      (err: unknown) => isHarnessError(err, "E_HARNESS_STATE"),
    );
    pids = [];
  });
}
