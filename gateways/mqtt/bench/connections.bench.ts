/**
 * Idle device connections: TARGET (10,000, fewer when `ulimit -n` does not allow it) MQTT 3.1.1
 * CONNECTs (client ids `idle-{i}`, keep-alive off, clean session) written on raw sockets by this
 * process, CONCURRENCY at a time, each done at its CONNACK. Per server: the time to connect them all
 * and the server's RSS growth per connection (after garbage collection, /proc/PID/status):
 * `MqttGateway` (each connection a device session on a MemoryBus, not registered) and plain aedes,
 * each in its own process (server.ts), and a private Mosquitto. Lower is better; the baseline is
 * plain aedes.
 */
import net from "node:net";
import { startMosquitto } from "@swarmlink/harness";
import mqttPacket from "mqtt-packet";
import { benchChild, latency, MOSQUITTO_CONFIG, openFileLimit, type Row, rssKiB } from "./lib.js";

const SUITE = "mqtt-connections";
const TARGET = 10_000;
const CONCURRENCY = 200;
/** Stop connecting after this long; the figures are then over the connections made. */
const CONNECT_BUDGET_MS = 20_000;
/** File descriptors kept free for everything else in a process. */
const SPARE_FDS = 300;

/** Connects `n` idle devices to `port`; resolves with the open sockets and the time it took. */
async function connectAll(port: number, n: number): Promise<{ sockets: net.Socket[]; ms: number }> {
  const sockets: net.Socket[] = [];
  let next = 0;
  const t0 = performance.now();
  const one = (i: number) =>
    new Promise<void>((resolve, reject) => {
      const s = net.connect(port, "127.0.0.1");
      s.setNoDelay(true);
      s.once("error", reject);
      s.once("connect", () => {
        s.write(
          mqttPacket.generate({
            cmd: "connect",
            protocolId: "MQTT",
            protocolVersion: 4,
            clean: true,
            clientId: `idle-${i}`,
            keepalive: 0,
          }),
        );
      });
      s.once("data", (d: Buffer) => {
        if (d[0] !== 0x20 || d[3] !== 0) reject(new Error(`idle-${i}: CONNACK ${d.toString("hex")}`));
        else {
          s.removeAllListeners("error");
          s.on("error", () => {});
          sockets.push(s);
          resolve();
        }
      });
    });
  const lane = async () => {
    while (next < n && performance.now() - t0 < CONNECT_BUDGET_MS) await one(next++);
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, lane));
  return { sockets, ms: performance.now() - t0 };
}

async function closeAll(sockets: net.Socket[]): Promise<void> {
  for (const s of sockets) s.destroy();
  await new Promise((r) => setTimeout(r, 500));
}

interface Figure {
  connections: number;
  connectMs: number;
  kibPerConnection: number;
}

/** Connects `n` devices to `port` and reads the server's RSS (KiB) before and after. */
async function measureServer(port: number, n: number, rss: () => Promise<number>): Promise<Figure> {
  const before = await rss();
  const { sockets, ms } = await connectAll(port, n);
  const after = await rss();
  await closeAll(sockets);
  return { connections: sockets.length, connectMs: ms, kibPerConnection: (after - before) / sockets.length };
}

async function childServer(kind: "gateway" | "aedes", n: number): Promise<Figure> {
  const server = benchChild("./server.ts", [kind]);
  try {
    const port = Number((await server.line(20_000)).split(" ")[1]);
    return await measureServer(port, n, async () => {
      server.proc.stdin?.write("rss\n");
      return Number((await server.line(20_000)).split(" ")[1]);
    });
  } finally {
    await server.stop();
  }
}

async function mosquitto(n: number): Promise<Figure> {
  const broker = await startMosquitto({ config: `${MOSQUITTO_CONFIG}\nmax_connections -1` });
  try {
    return await measureServer(broker.port, n, async () => {
      await new Promise((r) => setTimeout(r, 200)); // C, no GC: let it settle
      return rssKiB(broker.pid);
    });
  } finally {
    await broker.stop();
  }
}

export async function run(progress: (msg: string) => void = () => {}): Promise<Row[]> {
  const limit = openFileLimit();
  const n = Math.max(100, Math.min(TARGET, limit - SPARE_FDS));
  if (n < TARGET) progress(`ulimit -n is ${limit}: ${n} connections instead of ${TARGET}`);
  const figures: Record<string, Figure> = {};
  for (const [name, measure] of [
    ["gateway", () => childServer("gateway", n)],
    ["aedes", () => childServer("aedes", n)],
    ["mosquitto", () => mosquitto(n)],
  ] as const) {
    const f = await measure();
    figures[name] = f;
    progress(
      `${name}: ${f.connections} connections in ${Math.round(f.connectMs)} ms, ${f.kibPerConnection.toFixed(1)} KiB each`,
    );
  }
  const base = figures.aedes as Figure;
  const rows: Row[] = [];
  for (const name of ["gateway", "mosquitto"] as const) {
    const f = figures[name] as Figure;
    const label = name === "gateway" ? "MqttGateway" : "Mosquitto";
    rows.push(
      latency(
        SUITE,
        `${label}: ${f.connections} idle devices, RSS per connection vs aedes`,
        f.kibPerConnection,
        "KiB",
        base.kibPerConnection,
      ),
    );
    rows.push(
      latency(
        SUITE,
        `${label}: time to connect ${f.connections} devices vs aedes`,
        f.connectMs,
        "ms",
        base.connectMs,
      ),
    );
  }
  return rows;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run((m) => process.stderr.write(`${m}\n`));
  console.table(rows);
}
