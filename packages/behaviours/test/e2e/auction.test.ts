import assert from "node:assert/strict";
import { TaskState } from "@swarmlink/protocol";
import type { Swarm } from "@swarmlink/sdk";
import type { MemoryStore } from "@swarmlink/store";
import { type Actor, fromPromise } from "xstate";
import {
  type BoundBehaviour,
  batteryAware,
  bindBehaviour,
  type ExecuteInput,
  worker,
} from "../../src/mod.js";
import { embeddedSwarm, waitUntil } from "../helpers.js";

const work = (ran: string[], id: string) =>
  fromPromise<unknown, ExecuteInput>(async ({ input }) => {
    ran.push(id);
    await new Promise((r) => setTimeout(r, 30));
    return { by: id, task: input.task.id };
  });

/** Submits `n` auctioned haul tasks, one attempt each; their ids. */
async function submitHauls(swarm: Swarm, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { id } = await swarm.tasks.submit({
      kind: "haul",
      capabilities: ["haul"],
      strategy: "auction",
      maxAttempts: 1,
    });
    ids.push(id);
  }
  return ids;
}

/** Waits until every task in `ids` succeeded. */
function allSucceed(swarm: Swarm, ids: string[], what: string): Promise<void> {
  return waitUntil(
    async () => {
      const infos = await Promise.all(ids.map((id) => swarm.tasks.get(id).catch(() => undefined)));
      return infos.every((i) => i?.state === TaskState.TASK_STATE_SUCCEEDED);
    },
    20_000,
    what,
  );
}

describe("two workers and a batteryAware agent sharing auctioned tasks (embedded SwarmNode)", () => {
  let env: Awaited<ReturnType<typeof embeddedSwarm>>;
  let store: MemoryStore;
  let swarm: Swarm;
  let bound: BoundBehaviour<never>[];

  beforeEach(async () => {
    env = await embeddedSwarm("e2e");
    ({ store, swarm, bound } = env);
  });
  afterEach(() => env.stop());

  it("runs every task, the batteryAware agent charges below its threshold and takes none meanwhile, and a re-bound agent resumes its persisted state", async () => {
    const ran: string[] = [];
    const charging: string[] = [];
    const bind = async (id: string, machine: typeof worker | typeof batteryAware, input: unknown) => {
      const agent = await swarm.agent({ id, capabilities: ["haul"] });
      const b = await bindBehaviour(agent, machine.provide({ actors: { execute: work(ran, id) } }), {
        capabilities: ["haul"],
        store,
        swarm,
        input,
        persistDebounceMs: 0,
      });
      bound.push(b as never);
      return { agent, b };
    };
    await bind("w1", worker, { cost: 5 });
    await bind("w2", worker, { cost: 6 });
    const bat = await bind("b1", batteryAware, {
      cost: 1,
      level: 0.5,
      threshold: 0.3,
      drainPerTask: 0.25,
      chargePerTick: 0.1,
      chargeTickMs: 60_000,
    });
    // bind() serves both machines, so its actor's type is their union: this one runs batteryAware.
    const battery = (a: unknown) => a as Actor<typeof batteryAware>;
    battery(bat.b.actor).subscribe((s) => {
      if (s.matches("charging")) charging.push(ran.length.toString());
    });
    const ids = await submitHauls(swarm, 6);
    await allSucceed(swarm, ids, "every task to succeed");
    const byBattery = ran.filter((r) => r === "b1").length;
    assert.ok(byBattery >= 1, `the cheap batteryAware agent won auctions (${ran.join(",")})`);
    assert.ok(battery(bat.b.actor).getSnapshot().matches("charging"), "it charges below the threshold");
    assert.equal(bat.b.accepting, false, "its credits are dropped while charging");
    assert.equal(bat.agent.credits, 0);
    const listed = await swarm.agents.query({ capabilities: ["haul"] });
    const b1 = listed.find((a) => a.descriptor?.id === "b1");
    assert.ok(b1, "b1 is listed");
    assert.equal(b1.descriptor?.credits ?? 0, 0, "in the registry too");
    const ranBefore = byBattery;
    // More tasks while it charges: the workers take them all.
    const more = await submitHauls(swarm, 3);
    await allSucceed(swarm, more, "the tasks submitted while charging to succeed");
    assert.equal(ran.filter((r) => r === "b1").length, ranBefore, "no task ran on the charging agent");
    assert.deepEqual(
      [...bat.agent.refusedAwards],
      [],
      "the dispatcher never awarded the charging agent a task (every task succeeded at its first attempt)",
    );

    // Restart: stop the binding and the agent, bind again from the Store.
    const before = battery(bat.b.actor).getSnapshot();
    await bat.b.stop();
    await bat.agent.close();
    const again = await bind("b1", batteryAware, { level: 1 });
    assert.equal(again.b.restored, true);
    const after = battery(again.b.actor).getSnapshot();
    assert.ok(after.matches("charging"), "it resumes charging");
    assert.equal(after.context.level, before.context.level, "with the persisted battery level");
    assert.equal(after.context.completed, before.context.completed);
    assert.equal(again.b.accepting, false, "and still takes no tasks");
  });
});
