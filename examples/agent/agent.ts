/**
 * One robot joining a distributed swarm over NATS (swarm nodes run elsewhere, e.g. `swarmlink node`).
 * Stops cleanly — running work finishes and is reported — on Ctrl-C.
 *
 *     npx tsx examples/agent/agent.ts --servers nats://127.0.0.1:4222 [--id amr-7] [--x 0 --y 0]
 *                                     [--user u --pass p | --token t]
 */
import { parseArgs } from "node:util";
import { connect } from "@swarmlink/sdk";
import { startRobot } from "./robot.js";

const { values: a } = parseArgs({
  options: {
    servers: { type: "string", default: "nats://127.0.0.1:4222" },
    id: { type: "string", default: `amr-${process.pid}` },
    x: { type: "string", default: "0" },
    y: { type: "string", default: "0" },
    user: { type: "string" },
    pass: { type: "string" },
    token: { type: "string" },
  },
});

const credentials = a.token ? { token: a.token } : a.user ? { user: a.user, pass: a.pass ?? "" } : undefined;
const swarm = await connect({
  servers: a.servers.split(","),
  name: a.id,
  ...(credentials ? { credentials } : {}),
});
const robot = await startRobot(swarm, { id: a.id, position: { x: Number(a.x), y: Number(a.y) } });
console.log(`${robot.agent.id} joined ${a.servers} (epoch ${robot.agent.epoch}); Ctrl-C to leave`);
robot.bound.actor.subscribe((s) => console.log(`${robot.agent.id}: ${JSON.stringify(s.value)}`));

let leaving = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (leaving) return;
    leaving = true;
    console.log(`${robot.agent.id} leaving…`);
    void robot
      .stop()
      .then(() => swarm.drain())
      .then(() => process.exit(0));
  });
}
