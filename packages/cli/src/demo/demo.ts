import { connect, type Swarm } from "@swarmlink/sdk";
import { COMMON_OPTIONS, intArg, parse } from "../args.js";
import { printEndpoints, untilSignal } from "../cmd/up.js";
import { DEFAULT_HTTP_PORT, resolveConfig, UP_OPTIONS } from "../config.js";
import { UsageError } from "../errors.js";
import type { Io } from "../io.js";
import { type RunningSwarm, startSwarm } from "../swarm.js";
import { type Bot, startBot } from "./bots.js";
import { FirmwareRobot } from "./firmware.js";
import { liveLog } from "./live.js";

/** `swarm demo`: the embedded swarm, a mixed simulated fleet and a task every second. */
export async function demo(argv: string[], io: Io): Promise<number> {
  const { values: v, positionals } = parse("demo", argv, {
    ...COMMON_OPTIONS,
    ...UP_OPTIONS,
    robots: { type: "string" },
    bots: { type: "string" },
    rate: { type: "string" },
    quiet: { type: "boolean", short: "q" },
  });
  if (v.help) return io.help("demo");
  if (positionals.length) throw new UsageError(`unexpected argument '${positionals[0]}'`, "demo");
  const cfg = resolveConfig("demo", v, io.env);
  const robots = intArg("demo", "--robots", v.robots) ?? 3;
  const bots = intArg("demo", "--bots", v.bots) ?? 4;
  const rate = intArg("demo", "--rate", v.rate, 1) ?? 1;
  if (robots > 0 && cfg.mqttPort === 0)
    throw new UsageError("--robots needs the MQTT listener (--mqtt-port ≠ 0)", "demo");
  const swarm = await startSwarm(cfg);
  printEndpoints(swarm, v.json === true, io);
  const log = liveLog(swarm, v.quiet ? () => {} : io.out);
  await swarm.node.leadership.waitForLeadership().catch(() => undefined);
  const fleet = await startFleet(swarm, robots, bots, log.line);
  if (!v.json) io.out(tryNext(swarm));
  const timer = setInterval(
    () => void submitOne(fleet.sdk, robots > 0, bots > 0).catch(() => {}),
    1000 / rate,
  );
  await untilSignal(swarm, io, async () => {
    clearInterval(timer);
    log.stop();
    await fleet.stop();
  });
  return 0;
}

let seq = 0;
/** Submits the next task: lifts for the robots, deliveries for the bots, every third by auction. */
async function submitOne(sdk: Swarm, robots: boolean, bots: boolean) {
  seq++;
  const toRobots = robots && (!bots || seq % 2 === 0);
  const auction = seq % 3 === 0;
  const at = { x: Math.round(Math.random() * 50), y: Math.round(Math.random() * 20) };
  await sdk.tasks.submit({
    kind: toRobots ? "lift" : "deliver",
    capabilities: [toRobots ? "lift" : "deliver"],
    strategy: auction ? "auction" : "queue",
    position: at,
    payload: new TextEncoder().encode(JSON.stringify({ order: seq })),
  });
}

async function startFleet(swarm: RunningSwarm, robots: number, bots: number, line: (s: string) => void) {
  const sdk = await connect({ bus: swarm.bus, store: swarm.store, name: "demo" });
  const fw: FirmwareRobot[] = [];
  const sdkBots: Bot[] = [];
  const mqtt = swarm.endpoints.mqtt;
  for (let i = 0; i < robots && mqtt; i++)
    fw.push(new FirmwareRobot(mqtt, `amr-${i + 1}`, { x: i * 10, y: 0 }, 800));
  await Promise.all(fw.map((r) => r.connected()));
  const onState = (id: string, state: string, prev: string, level: number | undefined) => {
    const pct = level === undefined ? "" : ` (battery ${Math.round(level * 100)}%)`;
    if (state === "charging") line(`⚡ ${id} is charging${pct}`);
    else if (prev === "charging") line(`⚡ ${id} charged, back to work${pct}`);
  };
  for (let i = 0; i < bots; i++) sdkBots.push(await startBot(sdk, swarm.store, `bot-${i + 1}`, i, onState));
  return {
    sdk,
    stop: async () => {
      await Promise.all(sdkBots.map((b) => b.stop().catch(() => {})));
      await Promise.all(fw.map((r) => r.stop().catch(() => {})));
      await sdk.close().catch(() => {});
    },
  };
}

function tryNext(swarm: RunningSwarm): string {
  const http = swarm.endpoints.http;
  // Commands on this machine find this node by itself (swarm up leaves its address in a file);
  // the variable is for other shells and machines.
  const server =
    http && http !== `http://127.0.0.1:${DEFAULT_HTTP_PORT}`
      ? `  export SWARM_SERVER=${http}   (optional)\n`
      : "";
  return `
Try next, in another terminal (Ctrl-C here stops the demo):
${server}  npx swarm agents                  the fleet: firmware robots (MQTT) and SDK bots
  npx swarm tasks ls                tasks, newest first
  npx swarm tasks submit --capability lift --payload '{"bin":4}'
  npx swarm command amr-1 where     ask a firmware robot where it is
  npx swarm leader                  the coordinator: holder, fencing token, since
  npx swarm top                     live summary
${http ? `  curl ${swarm.endpoints.metrics}\n` : ""}
`;
}
