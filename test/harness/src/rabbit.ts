import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { findBinary } from "./binaries.js";
import { HarnessError } from "./errors.js";
import { randomName } from "./nats.js";
import { freePort, HOST } from "./ports.js";
import { exchange, probeAmqp } from "./probe.js";
import { ServerProcess } from "./process.js";
import { launch, ManagedServer, makeServerDir, readLogs, type ServerHandle } from "./server.js";
import { chownTree, systemUser } from "./users.js";

/** Options of {@link startRabbit}. */
export interface RabbitOptions {
  /** Extra rabbitmq.conf lines (sysctl format), appended after the harness's own. */
  readonly config?: string;
  /** Give up on readiness after this many ms. @default 60000 */
  readonly startTimeoutMs?: number;
}

/** @default 60 s: RabbitMQ 3.10 boots in 5–8 s on two cores; this only bounds a broken start. */
export const DEFAULT_RABBIT_START_TIMEOUT_MS = 60_000;
/** A clean RabbitMQ shutdown takes about 3 s; SIGKILL after 20 s. */
export const RABBIT_STOP_GRACE_MS = 20_000;
/** How long epmd may take to listen, in ms. */
const EPMD_START_TIMEOUT_MS = 5_000;

/** Debian's layout: the real start script, not /usr/sbin/rabbitmq-server, which `su`s and redirects. */
const RABBIT_SCRIPT = "/usr/lib/rabbitmq/bin/rabbitmq-server";

/**
 * Environment variables of the parent that would change where RabbitMQ or Erlang look (a developer's
 * RABBITMQ_NODENAME, ERL_FLAGS, …): none of them reach the private node.
 */
const INHERITED_ENV_BLOCKLIST = /^(RABBITMQ_|ERL_|ERLANG_|NOTIFY_SOCKET$)/;

function rabbitConfig(port: number, extra: string | undefined): string {
  return [
    `listeners.tcp.default = ${HOST}:${port}`,
    // guest may log in from loopback only (the default), which is where every test connects from.
    "loopback_users.guest = true",
    // A small temp filesystem must not raise the disk alarm and block publishers mid-test.
    "disk_free_limit.absolute = 1MB",
    "log.file.level = info",
    ...(extra ? ["# from startRabbit({ config })", extra] : []),
    "",
  ].join("\n");
}

/** epmd's NAMES_REQ: a 2-byte length, then 110 ('n'); epmd answers its port (4 bytes) and the names. */
const EPMD_NAMES_REQ = Uint8Array.from([0, 1, 110]);

/** Waits until epmd answers a NAMES_REQ. */
async function waitEpmd(port: number, proc: ServerProcess): Promise<void> {
  const deadline = Date.now() + EPMD_START_TIMEOUT_MS;
  for (;;) {
    const ok = await exchange(port, EPMD_NAMES_REQ, (buf) => (buf.length >= 4 ? true : undefined), {
      timeoutMs: 500,
    }).catch(() => false);
    if (ok) return;
    if (proc.exitInfo || Date.now() > deadline) throw new Error(`epmd did not answer on port ${port}`);
    await sleep(20);
  }
}

/**
 * Starts a private RabbitMQ node on 127.0.0.1: its own node name, AMQP and distribution ports, its
 * own epmd on a free port (the machine's epmd and shared `rabbit@…` node are never touched), no
 * plugins, Mnesia and logs in its own temp dir. As root it runs as the `rabbitmq` user, like the
 * Debian service. Resolves once the AMQP port answers the protocol header with Connection.Start.
 * The handle's pid is the Erlang VM (beam.smp) itself, so kill, pause and stop reach the broker.
 *
 * @example
 * ```ts
 * const rabbit = await startRabbit(); // ~6 s: start one per describe()
 * const conn = await amqplib.connect(rabbit.url);
 * // …
 * await conn.close();
 * await rabbit.stop();
 * ```
 */
export async function startRabbit(opts: RabbitOptions = {}): Promise<ServerHandle> {
  const file = findBinary({
    name: "rabbitmq-server",
    debianPackage: "rabbitmq-server",
    paths: [RABBIT_SCRIPT],
  });
  const epmdFile = findBinary({
    name: "epmd",
    debianPackage: "erlang-base",
    paths: ["/usr/lib/erlang/bin/epmd"],
  });
  const runAs = process.getuid?.() === 0 ? await systemUser("rabbitmq") : undefined;
  return launch(async () => {
    const [port, distPort, epmdPort] = [await freePort(), await freePort(), await freePort()];
    const dir = await makeServerDir("rabbitmq");
    const nodeName = `harness-${randomName()}@localhost`;
    await mkdir(join(dir, "mnesia"));
    await mkdir(join(dir, "log"));
    await writeFile(join(dir, "enabled_plugins"), "[].\n");
    await writeFile(join(dir, "rabbitmq.conf"), rabbitConfig(port, opts.config));
    // Our own (empty) env file, so /etc/rabbitmq/rabbitmq-env.conf (NODENAME=…) is not read.
    await writeFile(join(dir, "rabbitmq-env.conf"), "# private to the harness\n");
    if (runAs) await chownTree(dir, runAs);

    const epmd = ServerProcess.spawn({
      file: epmdFile,
      args: ["-port", String(epmdPort), "-address", HOST],
      cwd: dir,
      logFile: join(dir, "epmd.log"),
      ...runAs,
    });
    await waitEpmd(epmdPort, epmd).catch(async (err: unknown) => {
      await epmd.kill("epmd");
      const log = await readLogs([join(dir, "epmd.log")]);
      await rm(dir, { recursive: true, force: true });
      throw new HarnessError(
        "E_HARNESS_START",
        `rabbitmq: ${err instanceof Error ? err.message : String(err)}`,
        { server: "epmd", port: epmdPort, logTail: log, addressInUse: /in use/i.test(log) },
        { cause: err },
      );
    });

    const env: NodeJS.ProcessEnv = {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !INHERITED_ENV_BLOCKLIST.test(k))),
      HOME: dir,
      LANG: process.env.LANG ?? "C.UTF-8",
      ERL_EPMD_PORT: String(epmdPort),
      ERL_EPMD_ADDRESS: HOST,
      RABBITMQ_NODENAME: nodeName,
      RABBITMQ_NODE_IP_ADDRESS: HOST,
      RABBITMQ_NODE_PORT: String(port),
      RABBITMQ_DIST_PORT: String(distPort),
      RABBITMQ_CONF_ENV_FILE: join(dir, "rabbitmq-env.conf"),
      RABBITMQ_CONFIG_FILE: join(dir, "rabbitmq.conf"),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, "advanced.config"),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, "enabled_plugins"),
      RABBITMQ_MNESIA_BASE: join(dir, "mnesia"),
      RABBITMQ_LOG_BASE: join(dir, "log"),
      RABBITMQ_PID_FILE: join(dir, "rabbitmq.pid"),
      // With input "allowed" the start script execs erl, and erl execs beam.smp: the pid we spawn is
      // the VM itself, not a shell that traps SIGTERM. -noshell -noinput keep stdin unread anyway.
      RABBITMQ_ALLOW_INPUT: "true",
      RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: `-noshell -noinput -kernel inet_dist_use_interface {127,0,0,1}`,
    };
    const pidFile = join(dir, "rabbitmq.pid");
    return new ManagedServer({
      name: "rabbitmq",
      port,
      url: `amqp://guest:guest@${HOST}:${port}`,
      dir,
      ports: [port, distPort, epmdPort],
      spawn: { file, args: [], cwd: dir, env, logFile: join(dir, "rabbitmq-server.log"), ...runAs },
      extraLogs: [join(dir, "log", `${nodeName}.log`)],
      ready: () => probeAmqp(port),
      // Belt and braces: should a wrapper ever sit between us and the VM, signal the VM's pid.
      afterReady: async (proc) => {
        const pid = Number.parseInt(await readFile(pidFile, "utf8").catch(() => ""), 10);
        if (Number.isInteger(pid) && pid > 0 && pid !== proc.pid) proc.adopt(pid);
      },
      afterStop: async () => {
        await epmd.terminate(1_000, "epmd");
      },
      startTimeoutMs: opts.startTimeoutMs ?? DEFAULT_RABBIT_START_TIMEOUT_MS,
      stopGraceMs: RABBIT_STOP_GRACE_MS,
    });
  });
}
