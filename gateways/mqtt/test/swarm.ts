import { SwarmNode } from "@swarmlink/core";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import { MqttBridge, type MqttBridgeOptions, MqttGateway, type MqttGatewayOptions } from "../src/mod.js";
import { connectDevice, type DeviceOptions, type TestDevice, waitUntil } from "./device.js";

/**
 * A swarm node that leads, on a memory Bus and Store, with the gateway under test in front of it;
 * what a test opens through it is closed with it, devices first.
 */
export interface MemorySwarm {
  bus: MemoryBus;
  store: MemoryStore;
  node: SwarmNode;
  /** Where devices connect: the listener, or the broker the bridge is on. */
  port: number;
  /** Connects a test device (./device.ts) to `port`; it is closed with the swarm. */
  device(id: string, opts?: DeviceOptions): Promise<TestDevice>;
  /** Runs `fn` when the swarm closes, before the gateway does (a client the test opened itself). */
  defer(fn: () => Promise<unknown>): void;
  /** The registry's status of `id`: "online", "suspect", "offline", or undefined. */
  status(id: string): string | undefined;
  close(): Promise<void>;
}

/** A swarm with the listener in front. */
export interface ListenerSwarm extends MemorySwarm {
  gw: MqttGateway;
}

/** A swarm with a bridge in front, on a broker the test runs. */
export interface BridgeSwarm extends MemorySwarm {
  bridge: MqttBridge;
}

/** The node part, and the closing of what the test deferred, then of `gateway`, then of the node. */
async function startNode(
  port: () => number,
  closeGateway: () => Promise<void>,
): Promise<Omit<MemorySwarm, "port">> {
  const bus = new MemoryBus();
  const store = new MemoryStore();
  const node = await SwarmNode.start({ bus, store, nodeId: "n1", leaseMs: 600, renewMs: 150 });
  const deferred: Array<() => Promise<unknown>> = [];
  return {
    bus,
    store,
    node,
    device: async (id, opts) => {
      const d = await connectDevice(port(), id, opts);
      deferred.push(() => d.close());
      return d;
    },
    defer: (fn) => deferred.push(fn),
    status: (id) => node.registry.directory.get(id)?.status,
    close: async () => {
      await Promise.all(deferred.splice(0).map((fn) => fn()));
      await closeGateway();
      await node.stop();
      await store.close();
      await bus.close();
    },
  };
}

/** Starts one with the listener. */
export async function startMemorySwarm(o: Partial<MqttGatewayOptions> = {}): Promise<ListenerSwarm> {
  let gw: MqttGateway | undefined;
  const base = await startNode(
    () => gw?.port ?? 0,
    async () => gw?.close(),
  );
  try {
    gw = await MqttGateway.start({ port: 0, heartbeatIntervalMs: 200, ...o, bus: base.bus });
    await waitUntil(() => base.node.leadership.isLeader, 5000, "a leader");
  } catch (err) {
    await base.close();
    throw err;
  }
  return { ...base, gw, port: gw.port };
}

/** Starts one with a bridge to the broker at `url` (devices connect to `port`). */
export async function startBridgeSwarm(
  url: string,
  port: number,
  o: Partial<MqttBridgeOptions> = {},
): Promise<BridgeSwarm> {
  let bridge: MqttBridge | undefined;
  const base = await startNode(
    () => port,
    async () => bridge?.close(),
  );
  try {
    bridge = await MqttBridge.start({ heartbeatIntervalMs: 200, reconnectMs: 200, ...o, bus: base.bus, url });
    await waitUntil(() => base.node.leadership.isLeader, 5000, "a leader");
  } catch (err) {
    await base.close();
    throw err;
  }
  return { ...base, bridge, port };
}

/** Gives each test of the suite a fresh swarm from `start` (mocha hooks); call the result for it. */
export function eachSwarm<S extends MemorySwarm>(start: () => Promise<S>): () => S {
  let swarm: S | undefined;
  beforeEach(async () => {
    swarm = await start();
  });
  afterEach(async () => {
    await swarm?.close();
    swarm = undefined;
  });
  return () => {
    if (!swarm) throw new Error("no swarm outside a test");
    return swarm;
  };
}
