import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { findBinary } from "./binaries.js";
import { freePort, HOST } from "./ports.js";
import { probeMqtt } from "./probe.js";
import { launch, ManagedServer, makeServerDir, type ServerHandle } from "./server.js";
import { chownTree, systemUser } from "./users.js";

/** Options of {@link startMosquitto}. */
export interface MosquittoOptions {
  /** Extra mosquitto.conf lines, appended after the harness's own (e.g. `"max_inflight_messages 1"`). */
  readonly config?: string;
  /** Give up on readiness after this many ms. @default 10000 */
  readonly startTimeoutMs?: number;
}

/** @default 10 s: mosquitto is ready in milliseconds; this only bounds a broken start. */
export const DEFAULT_MOSQUITTO_START_TIMEOUT_MS = 10_000;
/** mosquitto exits at once on SIGTERM; SIGKILL after 5 s. */
export const MOSQUITTO_STOP_GRACE_MS = 5_000;

/**
 * The harness's mosquitto.conf. The log goes to a file, not stdout: mosquitto block-buffers stdout
 * when it is not a terminal, so a crash would lose the lines a failure message needs.
 */
function mosquittoConfig(
  port: number,
  logFile: string,
  stayRoot: boolean,
  extra: string | undefined,
): string {
  return [
    `listener ${port} ${HOST}`,
    "allow_anonymous true",
    "persistence false",
    `log_dest file ${logFile}`,
    "log_type all",
    "log_timestamp_format %Y-%m-%dT%H:%M:%S",
    "connection_messages true",
    // Run as root, mosquitto drops to the `mosquitto` user (whose dir this is); without one, stay root.
    ...(stayRoot ? ["user root"] : []),
    ...(extra ? ["# from startMosquitto({ config })", extra] : []),
    "",
  ].join("\n");
}

/**
 * Starts a private mosquitto 2.x broker listening on 127.0.0.1 on a free port, anonymous, without
 * persistence, and resolves once it answers an MQTT CONNECT with CONNACK.
 *
 * @example
 * ```ts
 * const broker = await startMosquitto({ config: "max_queued_messages 10" });
 * const client = mqtt.connect(broker.url);
 * // …
 * client.end();
 * await broker.stop();
 * ```
 */
export async function startMosquitto(opts: MosquittoOptions = {}): Promise<ServerHandle> {
  const file = findBinary({ name: "mosquitto", debianPackage: "mosquitto" });
  const isRoot = process.getuid?.() === 0;
  const dropTo = isRoot ? await systemUser("mosquitto") : undefined;
  return launch(async () => {
    const port = await freePort();
    const dir = await makeServerDir("mosquitto");
    const config = join(dir, "mosquitto.conf");
    const logFile = join(dir, "mosquitto.log");
    await writeFile(config, mosquittoConfig(port, logFile, isRoot && !dropTo, opts.config));
    if (dropTo) await chownTree(dir, dropTo);
    return new ManagedServer({
      name: "mosquitto",
      port,
      url: `mqtt://${HOST}:${port}`,
      dir,
      ports: [port],
      spawn: { file, args: ["-c", config], cwd: dir, logFile: join(dir, "mosquitto.stdout.log") },
      extraLogs: [logFile],
      ready: () => probeMqtt(port).then(() => undefined),
      startTimeoutMs: opts.startTimeoutMs ?? DEFAULT_MOSQUITTO_START_TIMEOUT_MS,
      stopGraceMs: MOSQUITTO_STOP_GRACE_MS,
    });
  });
}
