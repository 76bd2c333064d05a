import { MemoryBus } from "@swarmlink/transport";
import { busConformance } from "@swarmlink/transport/testing";

busConformance("memory", async () => {
  const bus = new MemoryBus();
  return { bus, peer: async () => bus };
});
