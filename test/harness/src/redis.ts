import { join } from "node:path";
import { findBinary } from "./binaries.js";
import { freePort, HOST } from "./ports.js";
import { probeRedis } from "./probe.js";
import { launch, ManagedServer, makeServerDir, type ServerHandle } from "./server.js";

/** Options of {@link startRedis}. */
export interface RedisOptions {
  /** More redis-server arguments (`--name value` pairs), appended after the harness's own. @default [] */
  readonly args?: readonly string[];
  /** Give up on readiness after this many ms. @default 10000 */
  readonly startTimeoutMs?: number;
}

/** @default 10 s: redis-server is ready in milliseconds; this only bounds a broken start. */
export const DEFAULT_REDIS_START_TIMEOUT_MS = 10_000;
/** redis-server without persistence exits at once on SIGTERM; SIGKILL after 5 s. */
export const REDIS_STOP_GRACE_MS = 5_000;

/**
 * Starts a private redis-server on 127.0.0.1 on a free port, without persistence, in its own temp
 * dir, and resolves once it answers PING with PONG.
 *
 * @example
 * ```ts
 * const redis = await startRedis();
 * const client = new Redis(redis.url);
 * // …
 * client.disconnect();
 * await redis.stop();
 * ```
 */
export async function startRedis(opts: RedisOptions = {}): Promise<ServerHandle> {
  const file = findBinary({ name: "redis-server", debianPackage: "redis-server" });
  return launch(async () => {
    const port = await freePort();
    const dir = await makeServerDir("redis");
    const args = [
      ...["--port", String(port), "--bind", HOST, "--save", "", "--appendonly", "no"],
      ...["--dir", dir, "--daemonize", "no", "--logfile", ""],
      ...(opts.args ?? []),
    ];
    return new ManagedServer({
      name: "redis",
      port,
      url: `redis://${HOST}:${port}`,
      dir,
      ports: [port],
      spawn: { file, args, cwd: dir, logFile: join(dir, "redis-server.log") },
      ready: () => probeRedis(port),
      startTimeoutMs: opts.startTimeoutMs ?? DEFAULT_REDIS_START_TIMEOUT_MS,
      stopGraceMs: REDIS_STOP_GRACE_MS,
    });
  });
}
