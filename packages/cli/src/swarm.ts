import { type NodeHttp, SwarmNode, serveHttp } from "@swarmlink/core";
import { MqttGateway } from "@swarmlink/gateway-mqtt";
import { MemoryStore, NatsKvStore, RedisStore, type Store } from "@swarmlink/store";
import { type Bus, MemoryBus, NatsBus } from "@swarmlink/transport";
import { AUTO_PORT, DEFAULT_HTTP_PORT, DEFAULT_MQTT_PORT, type UpConfig } from "./config.js";
import { forgetServer, rememberServer } from "./server-file.js";

/** A running node with its listeners; `stop()` drains it all, once. */
export interface RunningSwarm {
  readonly node: SwarmNode;
  readonly bus: Bus;
  readonly store: Store;
  readonly gateway: MqttGateway | undefined;
  readonly http: NodeHttp | undefined;
  /** What it serves, for people (`swarm up`'s table) and scripts (`swarm up --json`). */
  readonly endpoints: Endpoints;
  stop(): Promise<void>;
}

export interface Endpoints {
  nodeId: string;
  bus: string;
  store: string;
  http: string | null;
  mqtt: string | null;
  metrics: string | null;
  /** Default ports that were taken, and the free ones used instead. */
  notices: string[];
}

const servers = (nats: string) => nats.split(",").map((s) => s.trim());

/** Opens the Bus and Store, starts the node, then the MQTT listener and the HTTP endpoint; undoes what started on failure. */
export async function startSwarm(cfg: UpConfig): Promise<RunningSwarm> {
  const undo: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const u of undo.splice(0).reverse()) await u().catch(() => {});
  };
  try {
    const bus: Bus = cfg.nats
      ? await NatsBus.connect({ servers: servers(cfg.nats), name: cfg.nodeId ?? "swarm-up" })
      : new MemoryBus();
    undo.push(() => (cfg.nats ? bus.drain() : bus.close()));
    const store: Store =
      cfg.store === "nats-kv"
        ? await NatsKvStore.connect({ servers: servers(cfg.nats ?? "") })
        : cfg.store === "memory"
          ? new MemoryStore()
          : await RedisStore.connect({ url: cfg.store });
    undo.push(() => store.close());
    const lease =
      cfg.leaseMs === undefined
        ? {}
        : { leaseMs: cfg.leaseMs, renewMs: Math.min(500, Math.floor(cfg.leaseMs / 4)) };
    const node = await SwarmNode.start({
      bus,
      store,
      ...(cfg.nodeId ? { nodeId: cfg.nodeId } : {}),
      ...lease,
    });
    undo.push(() => node.stop());
    const notices: string[] = [];
    let gateway: MqttGateway | undefined;
    if (cfg.mqttPort !== 0) {
      gateway = await onDefaultPort(cfg.mqttPort, DEFAULT_MQTT_PORT, "MQTT", notices, (port) =>
        MqttGateway.start({ bus, port, host: cfg.host }),
      );
      undo.push(() => gateway!.close());
    }
    const http =
      cfg.httpPort === 0
        ? undefined
        : await onDefaultPort(cfg.httpPort, DEFAULT_HTTP_PORT, "HTTP", notices, (port) =>
            serveHttp(node, { port, host: cfg.host, status: () => pressure(gateway) }),
          );
    if (http) {
      undo.push(() => http.close());
      // Operator commands on this machine find this node without --server (see remote.ts).
      await rememberServer(http.url);
      undo.push(() => forgetServer(http.url));
    }
    const endpoints: Endpoints = {
      nodeId: node.nodeId,
      bus: cfg.nats ? `NATS ${cfg.nats}` : "embedded (memory)",
      store: cfg.store === "memory" ? "embedded (memory)" : cfg.store,
      http: http?.url ?? null,
      mqtt: gateway ? `mqtt://${cfg.host}:${gateway.port}` : null,
      metrics: http ? `${http.url}/metrics` : null,
      notices,
    };
    return { node, bus, store, gateway, http, endpoints, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** What `swarm top` shows of back-pressure beside the node's own status. */
function pressure(gateway: MqttGateway | undefined): Record<string, unknown> {
  if (!gateway) return {};
  const g = gateway.stats();
  return {
    gateway: {
      connected: g.connected,
      registered: g.registered,
      held: g.held,
      heldHighWater: g.heldHighWater,
      rateFactor: g.rateFactor,
      refused: g.refused,
    },
  };
}

/** The port to listen on: `auto` (AUTO_PORT) lets the kernel choose. */
const bindPort = (p: number) => (p === AUTO_PORT ? 0 : p);

/**
 * Listens on `port`; when that is the default and something else holds it (a system Mosquitto on
 * 1883, say), on any free port instead, with a notice. A port asked for explicitly must be free.
 */
async function onDefaultPort<T>(
  port: number,
  fallbackFrom: number,
  what: string,
  notices: string[],
  listen: (port: number) => Promise<T>,
): Promise<T> {
  try {
    return await listen(bindPort(port));
  } catch (err) {
    if (port !== fallbackFrom || !addressInUse(err)) throw err;
    notices.push(`${what} port ${port} is taken; listening on a free port instead`);
    return listen(0);
  }
}

function addressInUse(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE" || e.message.includes("EADDRINUSE")) return true;
  }
  return false;
}
