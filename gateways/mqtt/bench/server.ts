/**
 * The server under test of the connections benchmark, in its own process so that its RSS is its own:
 *   server.ts gateway|aedes
 * prints "port {n}"; on an "rss" line collects garbage and prints "rss {KiB}"; exits when stdin closes.
 */
import net from "node:net";
import { createInterface } from "node:readline";
import v8 from "node:v8";
import { runInNewContext } from "node:vm";
import { MemoryBus } from "@swarmlink/transport";
import { Aedes } from "aedes";
import { MqttGateway } from "../src/mod.js";
import { rssKiB } from "./lib.js";

v8.setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
const kind = process.argv[2];
let close: () => Promise<void>;
let port: number;
if (kind === "gateway") {
  const bus = new MemoryBus();
  const gw = await MqttGateway.start({ bus, port: 0, drainTimeoutMs: 60_000 });
  port = gw.port;
  close = async () => {
    await gw.close();
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
  if (line !== "rss") continue;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 50));
  }
  process.stdout.write(`rss ${rssKiB(process.pid)}\n`);
}
await close();
process.exit(0);
