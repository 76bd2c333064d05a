import assert from "node:assert/strict";
import { isSwarmError, TaskState } from "@swarmlink/protocol";
import type { Agent, Swarm } from "../../src/mod.js";
import { embeddedSwarm, sleep, waitUntil } from "../helpers.js";

describe("agent.setCredits against an embedded SwarmNode", () => {
  let env: Awaited<ReturnType<typeof embeddedSwarm>>;
  let swarm: Swarm;

  beforeEach(async () => {
    env = await embeddedSwarm();
    ({ swarm } = env);
  });
  afterEach(() => env.stop());

  const registered = async (agent: Agent) => {
    const list = await swarm.agents.query({});
    return list.find((a) => a.descriptor?.id === agent.id)?.descriptor?.credits ?? 0;
  };

  it("drops the agent's credits in the registry (a new epoch), so the dispatcher awards it nothing, and gives them back", async () => {
    const agent = await swarm.agent({ id: "amr-c1", capabilities: ["pick"], credits: 2 });
    agent.onTask("pick", async () => ({ ok: true }));
    const epoch = agent.epoch;
    await agent.setCredits(0);
    assert.equal(agent.credits, 0);
    assert.ok(agent.epoch > epoch, "registered again");
    assert.equal(await registered(agent), 0);
    const { id } = await swarm.tasks.submit({ kind: "pick", capabilities: ["pick"], maxAttempts: 1 });
    await sleep(300);
    assert.equal((await swarm.tasks.get(id)).state, TaskState.TASK_STATE_QUEUED, "nobody may take it");
    assert.deepEqual([...agent.refusedAwards], [], "never awarded");
    await agent.setCredits(2);
    assert.equal(await registered(agent), 2);
    await waitUntil(
      async () => (await swarm.tasks.get(id)).state === TaskState.TASK_STATE_SUCCEEDED,
      5000,
      "the task to run once the credits are back",
    );
  });

  it("ends with the last of overlapping changes in the registry, and changes the agent's own credits at the call", async () => {
    const agent = await swarm.agent({ id: "amr-c2", capabilities: ["pick"], credits: 1 });
    agent.bid("pick", () => 1);
    const changes = [agent.setCredits(0), agent.setCredits(3), agent.setCredits(0)];
    assert.equal(agent.credits, 0, "the agent's own checks change at the call");
    await Promise.all(changes);
    assert.equal(await registered(agent), 0);
    await agent.setCredits(3);
    assert.equal(await registered(agent), 3);
  });

  it("rejects a bad value with E_CONFIG naming credits, and an aborted wait with the signal's reason", async () => {
    const agent = await swarm.agent({ id: "amr-c3", credits: 1 });
    for (const bad of [-1, 1.5, Number.NaN])
      await assert.rejects(
        agent.setCredits(bad),
        (e) => isSwarmError(e, "E_CONFIG") && e.context.field === "credits",
      );
    assert.equal(agent.credits, 1);
    const ac = new AbortController();
    ac.abort(new Error("gave up"));
    await assert.rejects(agent.setCredits(2, { signal: ac.signal }), /gave up/);
    assert.equal(agent.credits, 1, "an aborted call changes nothing");
  });
});
