import { MemoryStore } from "@swarmlink/store";
import { storeConformance } from "@swarmlink/store/testing";

storeConformance("memory", async () => ({ store: new MemoryStore() }));
