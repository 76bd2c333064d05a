/**
 * The server under test of the connections benchmark, in its own process so that its RSS is its own:
 *   server.ts gateway|aedes
 * "gateway" is what `swarm up` runs: a SwarmNode (memory Bus and Store) with the MQTT gateway in
 * front of it, from the package's build (dist: what ships; tsx would give every closure of the
 * sources a `name` property). Prints "port {n}"; on an "rss" line collects garbage and prints
 * "rss {KiB} {V8 heap used, KiB}"; on "registered" prints "registered {n}" (devices in the gateway's registry, -1 for
 * aedes); exits when stdin closes.
 */
import net from "node:net";
import { createInterface } from "node:readline";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { SwarmNode } from "@swarmlink/core";
import { MqttGateway } from "@swarmlink/gateway-mqtt";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import { Aedes } from "aedes";
import { rssKiB } from "./lib.js";

v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const kind = process.argv[2];
let close: () => Promise<void>;
let port: number;
let registered = () => -1;
if (kind === "gateway") {
  const bus = new MemoryBus();
  const store = new MemoryStore();
  const node = await SwarmNode.start({ bus, store, nodeId: "bench" });
  const gw = await MqttGateway.start({ bus, port: 0, drainTimeoutMs: 60_000 });
  port = gw.port;
  registered = () => gw.stats().registered;
  close = async () => {
    await gw.close();
    await node.stop();
    await store.close();
    await bus.close();
  };
} else {
  const aedes = await Aedes.createBroker();
  const server = net.createServer((s) => {
    s.setNoDelay(true);
    aedes.handle(s);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  port = (server.address() as net.AddressInfo).port;
  close = async () => {
    await new Promise<void>((r) => aedes.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  };
}
process.stdout.write(`port ${port}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  if (line === "registered") process.stdout.write(`registered ${registered()}\n`);
  if (line !== "rss") continue;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stdout.write(`rss ${rssKiB(process.pid)} ${Math.round(process.memoryUsage().heapUsed / 1024)}\n`);
}
await close();
process.exit(0);
