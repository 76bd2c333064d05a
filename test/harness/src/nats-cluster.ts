import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { HarnessError, isHarnessError } from "./errors.js";
import {
  NATS_STOP_GRACE_MS,
  type NatsServer,
  NatsServerHandle,
  natsBinary,
  natsReady,
  randomName,
} from "./nats.js";
import { freePort, HOST } from "./ports.js";
import { getJson } from "./probe.js";
import { type LaunchSpec, makeServerDir } from "./server.js";

/** A private JetStream cluster of nats-servers, routed to each other on 127.0.0.1. */
export interface NatsCluster {
  /** The cluster's `cluster.name`. */
  readonly name: string;
  /** The nodes, in start order; each can be killed, paused and restarted on its own. */
  readonly servers: NatsServer[];
  /** The client URLs of every node, for `connect({ servers: urls })`. */
  readonly urls: string[];
  /** Resolves when every running node has all its routes and they agree on a JetStream meta leader. */
  waitReady(opts?: { timeoutMs?: number; nodes?: readonly NatsServer[] }): Promise<void>;
  /** Every node's log, each headed by its server name, for failure messages. */
  log(): Promise<string>;
  /** Stops every node and removes their dirs. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startNatsCluster}. */
export interface NatsClusterOptions {
  /** How many nodes. JetStream needs 3 for R3 streams. @default 3 */
  readonly size?: number;
  /** Give up on the cluster's readiness after this many ms. @default 30000 */
  readonly startTimeoutMs?: number;
}

/** @default 3 nodes */
export const DEFAULT_NATS_CLUSTER_SIZE = 3;
/** @default 30 s: a 3-node cluster elects its meta leader in about 2–5 s. */
export const DEFAULT_NATS_CLUSTER_START_TIMEOUT_MS = 30_000;
const CLUSTER_POLL_MS = 100;
/** How many fresh port sets a cluster start tries when a port was taken meanwhile. */
const CLUSTER_START_ATTEMPTS = 3;

interface NodePorts {
  readonly client: number;
  readonly monitor: number;
  readonly route: number;
}

function nodeConfig(
  serverName: string,
  clusterName: string,
  dir: string,
  own: NodePorts,
  all: NodePorts[],
): string {
  const routes = all.filter((p) => p !== own).map((p) => `    "nats-route://${HOST}:${p.route}"`);
  return [
    `server_name: "${serverName}"`,
    `listen: "${HOST}:${own.client}"`,
    `http: "${HOST}:${own.monitor}"`,
    "jetstream {",
    `  store_dir: "${join(dir, "js")}"`,
    "  max_memory_store: 256MB",
    "  max_file_store: 1GB",
    "}",
    "cluster {",
    `  name: "${clusterName}"`,
    `  listen: "${HOST}:${own.route}"`,
    "  routes: [",
    ...routes,
    "  ]",
    "}",
    "",
  ].join("\n");
}

interface JszMeta {
  meta_cluster?: {
    name?: string;
    leader?: string;
    cluster_size?: number;
    replicas?: { name?: string; current?: boolean; offline?: boolean }[];
  };
}

interface Routez {
  num_routes?: number;
}

/** One readiness check of the whole cluster; throws (with the reason) while it is not ready yet. */
async function clusterReadyOnce(nodes: readonly NatsServer[], size: number): Promise<void> {
  const leaders = new Set<string>();
  for (const node of nodes) {
    const routez = (await getJson(node.monitorPort, "/routez")) as Routez;
    if ((routez.num_routes ?? 0) < nodes.length - 1) {
      throw new Error(`${node.serverName} has ${routez.num_routes ?? 0} of ${nodes.length - 1} routes`);
    }
    const jsz = (await getJson(node.monitorPort, "/jsz")) as JszMeta;
    const meta = jsz.meta_cluster;
    if (!meta?.leader) throw new Error(`${node.serverName} knows no JetStream meta leader yet`);
    if ((meta.cluster_size ?? 0) < size) {
      throw new Error(`${node.serverName} sees a meta group of ${meta.cluster_size ?? 0} of ${size}`);
    }
    leaders.add(meta.leader);
    if (meta.leader === node.serverName) {
      // The leader sees its followers: enough of them current means an R3 proposal can commit.
      const current = (meta.replicas ?? []).filter((r) => r.current && !r.offline).length;
      if (current < nodes.length - 1) {
        throw new Error(
          `meta leader ${node.serverName} has ${current} of ${nodes.length - 1} followers current`,
        );
      }
    }
  }
  if (leaders.size > 1) throw new Error(`nodes disagree on the meta leader: ${[...leaders].join(", ")}`);
}

class Cluster implements NatsCluster {
  readonly name: string;
  readonly servers: NatsServerHandle[];
  readonly #timeoutMs: number;
  #stopping: Promise<void> | undefined;

  constructor(name: string, servers: NatsServerHandle[], timeoutMs: number) {
    this.name = name;
    this.servers = servers;
    this.#timeoutMs = timeoutMs;
  }

  get urls(): string[] {
    return this.servers.map((s) => s.url);
  }

  async start(): Promise<void> {
    // All at once: a node's /healthz is ok only once a quorum has elected the meta leader.
    const results = await Promise.allSettled(this.servers.map((s) => s.start()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed) throw failed.reason;
    await this.waitReady();
  }

  async waitReady(opts: { timeoutMs?: number; nodes?: readonly NatsServer[] } = {}): Promise<void> {
    const nodes = opts.nodes ?? this.servers;
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await clusterReadyOnce(nodes, this.servers.length);
        return;
      } catch (err) {
        if (Date.now() > deadline) {
          const why = err instanceof Error ? err.message : String(err);
          throw new HarnessError(
            "E_HARNESS_START",
            `NATS cluster ${this.name} not ready within ${timeoutMs} ms: ${why}`,
            { server: "nats", logTail: await this.#logTails(nodes) },
            { cause: err },
          );
        }
      }
      await sleep(CLUSTER_POLL_MS);
    }
  }

  async #logTails(nodes: readonly NatsServer[]): Promise<string> {
    const logs = await Promise.all(nodes.map(async (n) => ({ n, log: await n.log() })));
    return logs
      .map(({ n, log }) => `# ${n.serverName}\n${log.trimEnd().split("\n").slice(-15).join("\n")}`)
      .join("\n");
  }

  async log(): Promise<string> {
    const logs = await Promise.all(this.servers.map(async (n) => `# ${n.serverName}\n${await n.log()}`));
    return logs.join("\n");
  }

  stop(): Promise<void> {
    this.#stopping ??= Promise.all(this.servers.map((s) => s.stop())).then(() => undefined);
    return this.#stopping;
  }
}

async function buildCluster(size: number, timeoutMs: number): Promise<Cluster> {
  const file = natsBinary();
  const clusterName = `harness-${randomName()}`;
  const ports: NodePorts[] = [];
  for (let i = 0; i < size; i++)
    ports.push({ client: await freePort(), monitor: await freePort(), route: await freePort() });
  const servers = await Promise.all(
    ports.map(async (own, i) => {
      const serverName = `${clusterName}-n${i + 1}`;
      const dir = await makeServerDir("nats");
      const config = join(dir, "nats-server.conf");
      await writeFile(config, nodeConfig(serverName, clusterName, dir, own, ports));
      const spec: LaunchSpec = {
        name: "nats",
        port: own.client,
        url: `nats://${HOST}:${own.client}`,
        dir,
        ports: [own.client, own.monitor, own.route],
        spawn: { file, args: ["-c", config], cwd: dir, logFile: join(dir, "nats-server.log") },
        ready: () => natsReady(own.client, own.monitor),
        startTimeoutMs: timeoutMs,
        stopGraceMs: NATS_STOP_GRACE_MS,
      };
      return new NatsServerHandle(spec, {
        monitorPort: own.monitor,
        serverName,
        jetstream: true,
        clusterPort: own.route,
      });
    }),
  );
  return new Cluster(clusterName, servers, timeoutMs);
}

/**
 * Starts a JetStream cluster of `size` private nats-servers on 127.0.0.1, each with its own dir,
 * config file and `server_name`, and resolves once all routes are up and the JetStream meta leader
 * is elected, so R3 streams can be created right away.
 *
 * @example
 * ```ts
 * const cluster = await startNatsCluster();
 * const nc = await connect({ servers: cluster.urls });
 * await jetstreamManager(nc).then((jsm) => jsm.streams.add({ name: "S", subjects: ["s.>"], num_replicas: 3 }));
 * await nc.close();
 * await cluster.stop();
 * ```
 */
export async function startNatsCluster(opts: NatsClusterOptions = {}): Promise<NatsCluster> {
  const size = opts.size ?? DEFAULT_NATS_CLUSTER_SIZE;
  const timeoutMs = opts.startTimeoutMs ?? DEFAULT_NATS_CLUSTER_START_TIMEOUT_MS;
  for (let attempt = 1; ; attempt++) {
    const cluster = await buildCluster(size, timeoutMs);
    try {
      await cluster.start();
      return cluster;
    } catch (err) {
      await cluster.stop();
      if (attempt >= CLUSTER_START_ATTEMPTS || !isHarnessError(err) || !err.context.addressInUse) throw err;
    }
  }
}
