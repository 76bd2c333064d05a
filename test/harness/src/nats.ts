import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { findBinary } from "./binaries.js";
import { freePort, HOST } from "./ports.js";
import { getJson, probeNats } from "./probe.js";
import { type LaunchSpec, launch, ManagedServer, makeServerDir, type ServerHandle } from "./server.js";

/** A private nats-server: a {@link ServerHandle} plus its monitoring endpoint. */
export interface NatsServer extends ServerHandle {
  /** The HTTP monitoring port (`-m`): `/varz`, `/jsz`, `/routez`, `/healthz`. */
  readonly monitorPort: number;
  /** `http://127.0.0.1:M`. */
  readonly monitorUrl: string;
  /** The server's `server_name` (unique within a cluster). */
  readonly serverName: string;
  /** Whether JetStream is enabled. */
  readonly jetstream: boolean;
  /** The route (cluster) port, for a cluster node; undefined for a standalone server. */
  readonly clusterPort: number | undefined;
}

/** Options of {@link startNats}. */
export interface NatsOptions {
  /** Enable JetStream (`-js`, store in the server's dir). @default true */
  readonly jetstream?: boolean;
  /** More nats-server command-line arguments, appended after the harness's own. @default [] */
  readonly args?: readonly string[];
  /** Give up on readiness after this many ms. @default 15000 */
  readonly startTimeoutMs?: number;
}

/** @default 15 s: nats-server is ready in well under a second; this only bounds a broken start. */
export const DEFAULT_NATS_START_TIMEOUT_MS = 15_000;
/** nats-server shuts down in milliseconds; SIGKILL after 5 s. */
export const NATS_STOP_GRACE_MS = 5_000;

/** The nats-server binary, or E_HARNESS_MISSING_BINARY naming the Debian package. */
export function natsBinary(): string {
  return findBinary({ name: "nats-server", debianPackage: "nats-server" });
}

/** What a {@link NatsServerHandle} is built from, beyond its {@link LaunchSpec}. */
export interface NatsIdentity {
  readonly monitorPort: number;
  readonly serverName: string;
  readonly jetstream: boolean;
  readonly clusterPort: number | undefined;
}

/** The {@link NatsServer} implementation; cluster nodes are of this class too. */
export class NatsServerHandle extends ManagedServer implements NatsServer {
  readonly monitorPort: number;
  readonly serverName: string;
  readonly jetstream: boolean;
  readonly clusterPort: number | undefined;

  constructor(spec: LaunchSpec, id: NatsIdentity) {
    super(spec);
    this.monitorPort = id.monitorPort;
    this.serverName = id.serverName;
    this.jetstream = id.jetstream;
    this.clusterPort = id.clusterPort;
  }

  get monitorUrl(): string {
    return `http://${HOST}:${this.monitorPort}`;
  }
}

/**
 * One readiness check of a nats-server: the client port sends its INFO line, and `/healthz` says ok,
 * which (with JetStream) means JetStream is enabled and, in a cluster, its meta group is current.
 */
export async function natsReady(port: number, monitorPort: number): Promise<void> {
  await probeNats(port);
  const health = (await getJson(monitorPort, "/healthz")) as { status?: string; error?: string };
  if (health.status !== "ok") throw new Error(`/healthz: ${JSON.stringify(health)}`);
}

/** A short random suffix for server and cluster names. */
export function randomName(): string {
  return randomBytes(4).toString("hex");
}

/**
 * Starts a private nats-server on 127.0.0.1 on free ports (client and monitoring), with JetStream
 * stored in its own temp dir, and resolves once a client connecting right after can use JetStream.
 *
 * @example
 * ```ts
 * const ns = await startNats();
 * const nc = await connect({ servers: ns.url });
 * // …
 * await nc.close();
 * await ns.stop();
 * ```
 */
export async function startNats(opts: NatsOptions = {}): Promise<NatsServer> {
  const file = natsBinary();
  const jetstream = opts.jetstream ?? true;
  return launch(async () => {
    const [port, monitorPort] = [await freePort(), await freePort()];
    const dir = await makeServerDir("nats");
    const serverName = `harness-${randomName()}`;
    const args = [
      ...["-a", HOST, "-p", String(port), "-m", String(monitorPort), "-n", serverName],
      ...(jetstream ? ["-js", "-sd", join(dir, "js")] : []),
      ...(opts.args ?? []),
    ];
    const spec: LaunchSpec = {
      name: "nats",
      port,
      url: `nats://${HOST}:${port}`,
      dir,
      ports: [port, monitorPort],
      spawn: { file, args, cwd: dir, logFile: join(dir, "nats-server.log") },
      ready: () => natsReady(port, monitorPort),
      startTimeoutMs: opts.startTimeoutMs ?? DEFAULT_NATS_START_TIMEOUT_MS,
      stopGraceMs: NATS_STOP_GRACE_MS,
    };
    return new NatsServerHandle(spec, { monitorPort, serverName, jetstream, clusterPort: undefined });
  });
}
