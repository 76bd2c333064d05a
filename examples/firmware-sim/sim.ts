/**
 * Simulated robot firmware on plain mqtt.js (no Swarmlink SDK): N robots that connect to the
 * Swarmlink MQTT gateway (listener mode) or to the broker a bridge-mode gateway listens to.
 *
 *   npx tsx examples/firmware-sim/sim.ts --url mqtt://127.0.0.1:1883 --robots 10 --prefix amr
 *
 * @example
 * ```ts
 * const fleet = await startFleet({ url: "mqtt://127.0.0.1:18830", robots: 5, prefix: "amr" });
 * // amr-1 … amr-5 are in the swarm's registry and take tasks
 * await fleet.stop();
 * ```
 */
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { type RobotOptions, SimRobot } from "./robot.js";

export { SimRobot } from "./robot.js";

export interface FleetOptions {
  /** Broker URL, e.g. `mqtt://127.0.0.1:18830`. */
  url: string;
  /** How many robots. */
  robots: number;
  /** Agent ids are `{prefix}-1` … `{prefix}-{robots}`. @default "amr" */
  prefix?: string;
  /** @default 5 */
  poseHz?: number;
  /** Time from accepted to succeeded. @default 100 */
  workMs?: number;
  /** 4 (MQTT 3.1.1, what the aedes listener speaks) or 5. @default 4 */
  protocolVersion?: 4 | 5;
  username?: string;
  password?: string;
}

export interface Fleet {
  readonly robots: readonly SimRobot[];
  /** Every robot leaves gracefully (presence offline, DISCONNECT). */
  stop(): Promise<void>;
}

/** Connects the robots and resolves once every one has its first CONNACK. */
export async function startFleet(o: FleetOptions): Promise<Fleet> {
  if (!Number.isSafeInteger(o.robots) || o.robots < 1) throw new Error("robots must be a whole number ≥ 1");
  const prefix = o.prefix ?? "amr";
  const base: Omit<RobotOptions, "id"> = {
    url: o.url,
    poseHz: o.poseHz ?? 5,
    workMs: o.workMs ?? 100,
    protocolVersion: o.protocolVersion ?? 4,
    username: o.username,
    password: o.password,
  };
  const robots = Array.from(
    { length: o.robots },
    (_, i) => new SimRobot({ ...base, id: `${prefix}-${i + 1}` }, i),
  );
  const stop = async () => {
    await Promise.all(robots.map((r) => r.stop()));
  };
  try {
    await Promise.all(robots.map((r) => r.connected()));
  } catch (err) {
    await stop();
    throw err;
  }
  return { robots, stop };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      url: { type: "string", default: "mqtt://127.0.0.1:1883" },
      robots: { type: "string", default: "5" },
      prefix: { type: "string", default: "amr" },
      mqtt5: { type: "boolean", default: false },
    },
  });
  const fleet = await startFleet({
    url: values.url,
    robots: Number(values.robots),
    prefix: values.prefix,
    protocolVersion: values.mqtt5 ? 5 : 4,
  });
  console.log(`${fleet.robots.length} robots connected to ${values.url}; Ctrl-C to stop`);
  const report = setInterval(() => {
    const sum = { tasks: 0, succeeded: 0, commands: 0, bids: 0, connects: 0 };
    for (const r of fleet.robots)
      for (const k of Object.keys(sum) as (keyof typeof sum)[]) sum[k] += r.counts[k];
    console.log(JSON.stringify(sum));
  }, 5000);
  process.once("SIGINT", () => {
    clearInterval(report);
    void fleet.stop().then(() => process.exit(0));
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
