import { type NodeHttp, SwarmNode, serveHttp } from "@swarmlink/core";
import { MqttGateway } from "@swarmlink/gateway-mqtt";
import { MemoryStore, NatsKvStore, RedisStore, type Store } from "@swarmlink/store";
import { type Bus, MemoryBus, NatsBus } from "@swarmlink/transport";
import { AUTO_PORT, type UpConfig } from "./config.js";

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
    let gateway: MqttGateway | undefined;
    if (cfg.mqttPort !== 0) {
      gateway = await MqttGateway.start({ bus, port: bindPort(cfg.mqttPort), host: cfg.host });
      undo.push(() => gateway!.close());
    }
    const http =
      cfg.httpPort === 0
        ? undefined
        : await serveHttp(node, { port: bindPort(cfg.httpPort), host: cfg.host });
    if (http) undo.push(() => http.close());
    const endpoints: Endpoints = {
      nodeId: node.nodeId,
      bus: cfg.nats ? `NATS ${cfg.nats}` : "embedded (memory)",
      store: cfg.store === "memory" ? "embedded (memory)" : cfg.store,
      http: http?.url ?? null,
      mqtt: gateway ? `mqtt://${cfg.host}:${gateway.port}` : null,
      metrics: http ? `${http.url}/metrics` : null,
    };
    return { node, bus, store, gateway, http, endpoints, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The port to listen on: `auto` (AUTO_PORT) lets the kernel choose. */
const bindPort = (p: number) => (p === AUTO_PORT ? 0 : p);
