/**
 * Device connections: TARGET (10,000, fewer when `ulimit -n` does not allow it) devices on raw
 * sockets (./fleet.ts), CONCURRENCY at a time, in two scenarios: "idle" (connected, nothing else)
 * and "registered" (subscribed to its own topics and registered with its descriptor, as firmware
 * does). Per server and scenario: the time to connect them all and the server's RSS growth per
 * device (after garbage collection, /proc/PID/status; after a warm-up of WARM_UP devices). Servers: `MqttGateway` in front of a
 * SwarmNode (memory Bus and Store, one process: what `swarm up` runs, so the registered figure
 * holds the core's registry entry, heartbeats and the device's command subscription too) and plain
 * aedes, each in its own process (server.ts), and a private Mosquitto. Lower is better; the
 * baseline is plain aedes with the same packets.
 */
import { startMosquitto } from "@swarmlink/harness";
import { closeFleet, connectFleet, type Scenario } from "./fleet.js";
import { benchChild, latency, MOSQUITTO_CONFIG, openFileLimit, type Row, rssKiB } from "./lib.js";

const SUITE = "mqtt-connections";
const TARGET = 10_000;
const CONCURRENCY = 200;
/** Stop connecting after this long; the figures are then over the devices connected. */
const BUDGET_MS: Record<Scenario, number> = { idle: 20_000, registered: 60_000 };
/**
 * Measures per server and scenario; the figure is their median. One RSS reading moves by ±3 KiB per
 * device from run to run (how much free space V8 keeps in its heap after GC). MQTT_BENCH_ROUNDS
 * sets it.
 */
const ROUNDS = Math.max(1, Number(process.env.MQTT_BENCH_ROUNDS ?? 3));
/** File descriptors kept free for everything else in a process. */
const SPARE_FDS = 300;
/**
 * Devices connected and closed before the measure, so that what a server makes once (compiled code,
 * caches, pools) is not counted per device.
 */
const WARM_UP = 500;

interface Figure {
  devices: number;
  connectMs: number;
  kibPerDevice: number;
  /** Growth of the V8 heap in use per device (Node servers): steadier than RSS from run to run. */
  heapKibPerDevice?: number;
}

/** A memory reading: RSS, and the V8 heap in use where the server has one (KiB). */
interface Memory {
  rss: number;
  heap?: number;
}

/** Connects `n` devices to `port` and reads the server's RSS (KiB) before and after. */
async function measure(
  port: number,
  n: number,
  scenario: Scenario,
  memory: () => Promise<Memory>,
  check: (devices: number) => Promise<void> = async () => {},
): Promise<Figure> {
  const fleet = { n, scenario, prefix: scenario, concurrency: CONCURRENCY, budgetMs: BUDGET_MS[scenario] };
  await closeFleet((await connectFleet(port, { ...fleet, n: WARM_UP, prefix: "warm-up" })).sockets);
  const before = await memory();
  const { sockets, ms } = await connectFleet(port, fleet);
  const after = await memory();
  await check(sockets.length);
  await closeFleet(sockets);
  const devices = sockets.length;
  const heap = after.heap !== undefined && before.heap !== undefined ? after.heap - before.heap : undefined;
  return {
    devices,
    connectMs: ms,
    kibPerDevice: (after.rss - before.rss) / devices,
    heapKibPerDevice: heap === undefined ? undefined : heap / devices,
  };
}

async function childServer(kind: "gateway" | "aedes", n: number, scenario: Scenario): Promise<Figure> {
  const server = benchChild("./server.ts", [kind]);
  const ask = async (what: string) => {
    server.proc.stdin?.write(`${what}\n`);
    return (await server.line(60_000)).split(" ").slice(1).map(Number);
  };
  try {
    const port = Number((await server.line(20_000)).split(" ")[1]);
    return await measure(
      port,
      n,
      scenario,
      async () => {
        const [rss, heap] = await ask("rss");
        return { rss: rss as number, heap };
      },
      async (devices) => {
        if (kind !== "gateway") return;
        const [registered] = await ask("registered");
        const want = scenario === "registered" ? devices : 0;
        if (registered !== want)
          throw new Error(`${registered} of ${devices} devices registered, not ${want}`);
      },
    );
  } finally {
    await server.stop();
  }
}

async function mosquitto(n: number, scenario: Scenario): Promise<Figure> {
  const broker = await startMosquitto({ config: `${MOSQUITTO_CONFIG}\nmax_connections -1` });
  try {
    return await measure(broker.port, n, scenario, async () => {
      await new Promise((r) => setTimeout(r, 200)); // C, no GC: let it settle
      return { rss: rssKiB(broker.pid) };
    });
  } finally {
    await broker.stop();
  }
}

const LABEL = { gateway: "MqttGateway + SwarmNode", mosquitto: "Mosquitto" } as const;

export async function run(progress: (msg: string) => void = () => {}): Promise<Row[]> {
  const limit = openFileLimit();
  const n = Math.max(100, Math.min(TARGET, limit - SPARE_FDS));
  if (n < TARGET) progress(`ulimit -n is ${limit}: ${n} connections instead of ${TARGET}`);
  const rows: Row[] = [];
  for (const scenario of ["idle", "registered"] as const) {
    const rounds: Record<string, Figure[]> = { gateway: [], aedes: [], mosquitto: [] };
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [name, measureOne] of [
        ["gateway", () => childServer("gateway", n, scenario)],
        ["aedes", () => childServer("aedes", n, scenario)],
        ["mosquitto", () => mosquitto(n, scenario)],
      ] as const) {
        const f = await measureOne();
        rounds[name]?.push(f);
        const heap = f.heapKibPerDevice === undefined ? "" : ` (V8 heap ${f.heapKibPerDevice.toFixed(1)})`;
        progress(
          `${scenario} #${round}, ${name}: ${f.devices} devices in ${Math.round(f.connectMs)} ms, ` +
            `RSS ${f.kibPerDevice.toFixed(1)} KiB each${heap}`,
        );
      }
    }
    for (const [name, figures] of Object.entries(rounds)) {
      const m = median(figures);
      const rss = figures.map((f) => f.kibPerDevice);
      const heap = m.heapKibPerDevice === undefined ? "" : `, V8 heap ${m.heapKibPerDevice.toFixed(1)}`;
      progress(
        `${scenario}, ${name}: median RSS ${m.kibPerDevice.toFixed(1)} KiB per device ` +
          `(${Math.min(...rss).toFixed(1)}–${Math.max(...rss).toFixed(1)})${heap}`,
      );
    }
    const base = median(rounds.aedes as Figure[]);
    for (const name of ["gateway", "mosquitto"] as const) {
      const f = median(rounds[name] as Figure[]);
      const what = `${f.devices} ${scenario} devices`;
      rows.push(
        latency(
          SUITE,
          `${LABEL[name]}: ${what}, RSS per device vs aedes`,
          f.kibPerDevice,
          "KiB",
          base.kibPerDevice,
        ),
        latency(SUITE, `${LABEL[name]}: time to connect ${what} vs aedes`, f.connectMs, "ms", base.connectMs),
      );
    }
  }
  return rows;
}

/** The median of each figure over the rounds (devices: the fewest connected). */
function median(figures: Figure[]): Figure {
  const mid = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] as number;
  const heaps = figures.flatMap((f) => (f.heapKibPerDevice === undefined ? [] : [f.heapKibPerDevice]));
  return {
    devices: Math.min(...figures.map((f) => f.devices)),
    connectMs: mid(figures.map((f) => f.connectMs)),
    kibPerDevice: mid(figures.map((f) => f.kibPerDevice)),
    heapKibPerDevice: heaps.length > 0 ? mid(heaps) : undefined,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await run((m) => process.stderr.write(`${m}\n`));
  console.table(rows);
}
