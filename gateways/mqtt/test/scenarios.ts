import assert from "node:assert/strict";
import { CommandClient, TaskClient } from "@swarmlink/core";
import { CommandReceiptState, CommandStatus, TaskState } from "@swarmlink/protocol";
import { type TestDevice, waitUntil } from "./device.js";
import type { MemorySwarm } from "./swarm.js";

/**
 * What every gateway mode must carry, on a device `id` of `swarm`: it registers with a descriptor
 * and is found by capability, a task submitted to the swarm is awarded to it (with the fencing
 * token) and succeeds, and a command is answered (echo) or refused (UNKNOWN_COMMAND).
 */
export async function registerRunAndCommand(swarm: MemorySwarm, id: string): Promise<TestDevice> {
  const d = await swarm.device(id, {
    register: { kind: "robot", capabilities: ["lift"], position: { x: 1, y: 2 }, credits: 1 },
  });
  await waitUntil(() => swarm.status(id) === "online", 5000, `${id} online`);
  const found = swarm.node.registry.directory.query({ capabilities: ["lift"] }).map((a) => a.id);
  assert.deepEqual(found, [id]);

  const tasks = new TaskClient({ bus: swarm.bus });
  const { id: taskId } = await tasks.submit({
    kind: "lift",
    capabilities: ["lift"],
    idempotencyKey: `${id}-t`,
  });
  await waitUntil(
    async () => (await tasks.get(taskId).catch(() => undefined))?.state === TaskState.TASK_STATE_SUCCEEDED,
    10_000,
    "task succeeded",
  );
  assert.equal(d.awards.length, 1);
  assert.ok(Number(d.awards[0]?.fencingToken) >= 1, "the award carries the fencing token");

  const commands = new CommandClient({ bus: swarm.bus });
  const receipt = await commands.send(id, "echo", { speed: 3 });
  assert.equal(receipt.state, CommandReceiptState.COMMAND_RECEIPT_STATE_REPLIED);
  assert.equal(receipt.reply?.status, CommandStatus.COMMAND_STATUS_OK);
  assert.deepEqual(JSON.parse(Buffer.from(receipt.reply?.result ?? []).toString()), { speed: 3 });
  const unknown = await commands.send(id, "fly");
  assert.equal(unknown.reply?.status, CommandStatus.COMMAND_STATUS_UNKNOWN_COMMAND);
  return d;
}
