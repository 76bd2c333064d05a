import { SwarmNode } from "@swarmlink/core";
import { MemoryStore } from "@swarmlink/store";
import { type Bus, MemoryBus } from "@swarmlink/transport";
import { MqttGateway, type MqttGatewayOptions } from "../src/mod.js";
import { waitUntil } from "./device.js";

/** A swarm node that leads, on a memory Bus and Store, with a listener gateway in front of it. */
export interface MemorySwarm {
  bus: MemoryBus;
  store: MemoryStore;
  node: SwarmNode;
  gw: MqttGateway;
  close(): Promise<void>;
}

/** Starts one; `gatewayBus` wraps the Bus the gateway sees (a refusing Bus, say). */
export async function startMemorySwarm(
  o: Partial<MqttGatewayOptions> & { gatewayBus?: (bus: MemoryBus) => Bus } = {},
): Promise<MemorySwarm> {
  const bus = new MemoryBus();
  const store = new MemoryStore();
  const node = await SwarmNode.start({ bus, store, nodeId: "n1", leaseMs: 600, renewMs: 150 });
  const { gatewayBus, ...gwOpts } = o;
  const gw = await MqttGateway.start({
    port: 0,
    heartbeatIntervalMs: 200,
    ...gwOpts,
    bus: gatewayBus ? gatewayBus(bus) : bus,
  });
  await waitUntil(() => node.leadership.isLeader, 5000, "a leader");
  return {
    bus,
    store,
    node,
    gw,
    close: async () => {
      await gw.close();
      await node.stop();
      await store.close();
      await bus.close();
    },
  };
}
