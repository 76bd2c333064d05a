import assert from "node:assert/strict";
import { CommandReceiptState, isSwarmError, type SwarmError } from "@swarmlink/protocol";
import type { Swarm } from "@swarmlink/sdk";
import type { MemoryStore } from "@swarmlink/store";
import { assign, emit, setup } from "xstate";
import {
  type BoundBehaviour,
  bindBehaviour,
  follower,
  type SwarmEffect,
  type SwarmEvent,
} from "../../src/mod.js";
import { embeddedSwarm, waitUntil } from "../helpers.js";

const json = (b: Uint8Array | null | undefined) =>
  JSON.parse(new TextDecoder().decode(b ?? new Uint8Array()));

/** Records what the binding sends it; replies to the `count` command. */
const probe = setup({
  types: {
    context: {} as { commands: number; presence: string[]; leaders: string[] },
    events: {} as SwarmEvent,
    emitted: {} as SwarmEffect,
  },
}).createMachine({
  id: "probe",
  context: { commands: 0, presence: [], leaders: [] },
  initial: "listening",
  states: {
    listening: {
      on: {
        "swarm.command": [
          {
            guard: ({ event }) => event.name === "count",
            actions: [
              assign({ commands: ({ context }) => context.commands + 1 }),
              emit(({ context, event }) => ({
                type: "swarm.reply" as const,
                commandId: event.commandId,
                result: { commands: context.commands, args: event.args },
              })),
            ],
          },
          { actions: assign({ commands: ({ context }) => context.commands + 1 }) },
        ],
        "swarm.presence": {
          actions: assign({
            presence: ({ context, event }) => [...context.presence, `${event.agentId}:${event.status}`],
          }),
        },
        "swarm.leader": {
          actions: assign({
            leaders: ({ context, event }) => [
              ...context.leaders,
              `${event.group}:${event.holder ?? "none"}:${event.isLeader}`,
            ],
          }),
        },
      },
    },
  },
});

describe("bindBehaviour on an embedded SwarmNode", () => {
  let env: Awaited<ReturnType<typeof embeddedSwarm>>;
  let store: MemoryStore;
  let swarm: Swarm;
  let bound: BoundBehaviour<never>[];

  beforeEach(async () => {
    env = await embeddedSwarm("bind");
    ({ store, swarm, bound } = env);
  });
  afterEach(() => env.stop());

  it("answers a command with the machine's swarm.reply, and with its state when the machine does not reply", async () => {
    const agent = await swarm.agent({ id: "cmd-1" });
    const b = await bindBehaviour(agent, probe, { commands: ["count", "status"], telemetryStream: "" });
    bound.push(b as never);
    const counted = await swarm.command("cmd-1", "count", { n: 7 }, { timeout: 2000 });
    assert.equal(counted.state, CommandReceiptState.COMMAND_RECEIPT_STATE_REPLIED);
    assert.deepEqual(json(counted.reply?.result), { commands: 1, args: { n: 7 } });
    const status = await swarm.command("cmd-1", "status", {}, { timeout: 2000 });
    assert.deepEqual(json(status.reply?.result), { state: "listening" });
    assert.equal(b.actor.getSnapshot().context.commands, 2, "both reached the machine");
  });

  it("sends peers' presence to the machine, never its own", async () => {
    const agent = await swarm.agent({ id: "watcher" });
    const b = await bindBehaviour(agent, probe, { swarm, telemetryStream: "" });
    bound.push(b as never);
    const peer = await swarm.agent({ id: "peer-1" });
    const seen = () => b.actor.getSnapshot().context.presence;
    await waitUntil(() => seen().some((p) => p.startsWith("peer-1:online")), 5000, "peer-1 online");
    await peer.close();
    await waitUntil(() => seen().some((p) => p.startsWith("peer-1:offline")), 5000, "peer-1 offline");
    assert.ok(!seen().some((p) => p.startsWith("watcher:")), seen().join(", "));
  });

  it("sends election changes as swarm.leader, and a follower follows the leader's pose until it leads itself", async () => {
    const leader = await swarm.agent({ id: "lead-1" });
    const l = await leader.elect("convoy");
    await l.waitForLeadership();
    const agent = await swarm.agent({ id: "fol-1" });
    const b = await bindBehaviour(agent, follower, {
      elect: ["convoy"],
      swarm,
      input: { group: "convoy", standoffM: 1 },
      telemetryStream: "",
    });
    bound.push(b as never);
    const s = () => b.actor.getSnapshot();
    assert.deepEqual(s().value, { following: "waiting" });
    assert.equal(s().context.leader, "lead-1");
    leader.telemetry("pose", { x: 10, y: 0 }, { conflate: true });
    await waitUntil(() => s().context.position.x === 9, 5000, "the follower to reach 1 m behind the leader");
    assert.deepEqual(s().context.position, { x: 9, y: 0 });
    await l.resign();
    await waitUntil(() => s().matches("leading"), 10_000, "the follower to win the election");
    assert.equal(s().context.leader, undefined);
  });

  for (const [what, stale] of [
    [
      "a state the machine no longer has",
      { status: "active", value: "charging", context: { commands: 0 }, children: {}, historyValue: {} },
    ],
    ["not an object", 42],
  ] as const)
    it(`reports a persisted snapshot that no longer fits the machine (${what}) to onError and starts fresh`, async () => {
      const agent = await swarm.agent({ id: "old-1" });
      await store.put("behaviours.old-1", new TextEncoder().encode(JSON.stringify(stale)));
      const errors: SwarmError[] = [];
      const b = await bindBehaviour(agent, probe, {
        store,
        onError: (e) => errors.push(e),
        telemetryStream: "",
      });
      bound.push(b as never);
      assert.equal(b.restored, false);
      assert.equal(b.actor.getSnapshot().value, "listening");
      assert.equal(errors.length, 1, errors.map((e) => e.message).join("; "));
      assert.ok(isSwarmError(errors[0], "E_INVALID"));
      assert.equal(errors[0]?.context.key, "behaviours.old-1");
    });
});
