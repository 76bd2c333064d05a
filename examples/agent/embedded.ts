/**
 * A whole swarm in one process: a SwarmNode (registry, election, dispatcher) on the memory Bus and
 * Store, three robots made with the SDK and the `worker` behaviour, ten delivery tasks.
 *
 *     npx tsx examples/agent/embedded.ts
 */
import { SwarmNode } from "@swarmlink/core";
import { isSwarmError, TaskState } from "@swarmlink/protocol";
import { connect } from "@swarmlink/sdk";
import { MemoryStore } from "@swarmlink/store";
import { MemoryBus } from "@swarmlink/transport";
import { startRobot } from "./robot.js";

const TASKS = 10;
const FINAL = new Set([
  TaskState.TASK_STATE_SUCCEEDED,
  TaskState.TASK_STATE_FAILED,
  TaskState.TASK_STATE_CANCELLED,
  TaskState.TASK_STATE_EXPIRED,
  TaskState.TASK_STATE_DEAD_LETTERED,
]);

/** The task's record once it is final: polled, since `watch()` only sees events after it starts. */
async function finished(id: string) {
  for (;;) {
    const info = await swarm.tasks.get(id).catch((err) => {
      if (isSwarmError(err, "E_NOT_FOUND")) return undefined; // submitted, not yet picked up
      throw err;
    });
    if (info && FINAL.has(info.state)) return info;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const bus = new MemoryBus();
const store = new MemoryStore();
const node = await SwarmNode.start({ bus, store, nodeId: "node-1" });
await node.leadership.waitForLeadership();
const swarm = await connect({ bus, store, name: "example" });

const robots = await Promise.all(
  [0, 1, 2].map((i) => startRobot(swarm, { id: `amr-${i + 1}`, position: { x: i * 10, y: 0 }, store })),
);
console.log(`swarm up: leader ${node.nodeId}, robots ${robots.map((r) => r.agent.id).join(", ")}`);

const submitted = await Promise.all(
  Array.from({ length: TASKS }, (_, i) =>
    swarm.tasks.submit({
      kind: "deliver",
      capabilities: ["deliver"],
      position: { x: (i * 7) % 25, y: (i * 3) % 10 },
      idempotencyKey: `example-delivery-${i + 1}`,
    }),
  ),
);

let failed = 0;
await Promise.all(
  submitted.map(async ({ id }, i) => {
    const info = await finished(id);
    const ok = info.state === TaskState.TASK_STATE_SUCCEEDED;
    if (!ok) failed++;
    const result = ok
      ? new TextDecoder().decode(info.result)
      : `${TaskState[info.state]} ${info.error?.code}`;
    console.log(`result ${i + 1}/${TASKS} ${id} by ${info.assignee}: ${result}`);
  }),
);

await Promise.all(robots.map((r) => r.stop()));
await swarm.close();
await node.stop();
await store.close();
await bus.close();
process.exitCode = failed === 0 ? 0 : 1;
