import assert from "node:assert/strict";
import { CommandClient, TaskClient } from "@swarmlink/core";
import { CommandStatus, TaskState } from "@swarmlink/protocol";
import { startFleet } from "../../../../examples/firmware-sim/sim.js";
import { waitUntil } from "../device.js";
import { eachSwarm, startMemorySwarm } from "../swarm.js";

describe("examples/firmware-sim against the listener and a swarm node (memory Bus and Store)", () => {
  const swarm = eachSwarm(() => startMemorySwarm());
  const url = () => `mqtt://127.0.0.1:${swarm().gw.port}`;
  const allOnline = (ids: string[]) => () => ids.every((id) => swarm().status(id) === "online");

  it("puts every simulated robot in the registry and runs submitted tasks on them", async () => {
    const fleet = await startFleet({
      url: url(),
      robots: 4,
      prefix: "sim",
      workMs: 20,
    });
    try {
      const ids = ["sim-1", "sim-2", "sim-3", "sim-4"];
      await waitUntil(allOnline(ids), 5000, "4 robots online");
      const tasks = new TaskClient({ bus: swarm().bus });
      const submitted = await Promise.all(
        [1, 2, 3, 4, 5, 6].map((k) =>
          tasks.submit({ kind: "lift", capabilities: ["lift"], idempotencyKey: `sim-task-${k}` }),
        ),
      );
      await waitUntil(
        async () => {
          const infos = await Promise.all(submitted.map((s) => tasks.get(s.id).catch(() => undefined)));
          return infos.every((i) => i?.state === TaskState.TASK_STATE_SUCCEEDED);
        },
        15_000,
        "6 tasks succeeded",
      );
      const ran = fleet.robots.reduce((n, r) => n + r.counts.succeeded, 0);
      assert.ok(ran >= 6, `the robots ran the tasks (${ran})`);

      const reply = await new CommandClient({ bus: swarm().bus }).send("sim-2", "echo", { lamp: "on" });
      assert.equal(reply.reply?.status, CommandStatus.COMMAND_STATUS_OK);
      assert.deepEqual(JSON.parse(Buffer.from(reply.reply?.result ?? []).toString()), { lamp: "on" });
    } finally {
      await fleet.stop();
    }
    await waitUntil(() => swarm().status("sim-1") === "offline", 5000, "sim-1 offline");
  });

  it("the robots bid on an auctioned task and the nearest one runs it", async () => {
    const fleet = await startFleet({
      url: url(),
      robots: 3,
      prefix: "bid",
      workMs: 20,
    });
    try {
      const ids = ["bid-1", "bid-2", "bid-3"]; // at x = 0, 5, 10
      await waitUntil(allOnline(ids), 5000, "3 robots online");
      const tasks = new TaskClient({ bus: swarm().bus });
      const { id } = await tasks.submit({
        kind: "lift",
        capabilities: ["lift"],
        strategy: "auction",
        position: { x: 9, y: 0 },
        idempotencyKey: "bid-task-1",
      });
      let info: Awaited<ReturnType<TaskClient["get"]>> | undefined;
      await waitUntil(
        async () => {
          info = await tasks.get(id).catch(() => undefined);
          return info?.state === TaskState.TASK_STATE_SUCCEEDED;
        },
        10_000,
        "the auctioned task succeeded",
      );
      assert.equal(info?.assignee, "bid-3", "the nearest robot won");
      assert.ok(
        fleet.robots.every((r) => r.counts.bids >= 1),
        "every robot bid",
      );
    } finally {
      await fleet.stop();
    }
  });

  it("a robot whose socket dies reconnects with the same client id and is online again", async () => {
    const fleet = await startFleet({ url: url(), robots: 1, prefix: "re" });
    try {
      const online = allOnline(["re-1"]);
      await waitUntil(online, 5000, "re-1 online");
      const robot = fleet.robots[0];
      assert.ok(robot);
      robot.client.stream.destroy(); // no DISCONNECT: the will takes it offline, then it reconnects
      await waitUntil(() => robot.counts.connects >= 2, 5000, "a reconnect");
      await waitUntil(online, 5000, "re-1 online again");
    } finally {
      await fleet.stop();
    }
  });
});
