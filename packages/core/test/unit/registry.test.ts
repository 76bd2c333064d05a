import assert from "node:assert/strict";
import {
  decodeEnvelope,
  decodePayload,
  encodeEnvelope,
  isSwarmError,
  kvKeys,
  PresenceStatus,
  subjects,
  unwrapAs,
  wrap,
} from "@swarmlink/protocol";
import type { Msg } from "@swarmlink/transport";
import {
  deregisterAgent,
  queryAgents,
  Registry,
  registerAgent,
  SimulatedAgent,
} from "../../src/registry/mod.js";
import type { PresenceEvent } from "../../src/types.js";
import { T0, until, World } from "./registry-helpers.js";

/** Sends raw bytes as a request and reads the reply as an Error payload. */
async function errorReply(w: World, subject: string, data: Uint8Array) {
  const msg: Msg = await w.bus.request(subject, data, { timeout: 2000 });
  const env = decodeEnvelope(msg.data);
  assert.equal(env.type, "swarmlink.v1.Error");
  return unwrapAs(env, "swarmlink.v1.Error");
}

describe("Registry registration", () => {
  let w: World;
  beforeEach(() => {
    w = new World();
  });
  afterEach(() => w.close());

  it("registers a new agent online with epoch 1, in the Store and the index, and publishes the event", async () => {
    const node = await w.node();
    const events: PresenceEvent[] = [];
    node.directory.onPresence((e) => events.push(e));
    const p = await registerAgent(
      w.bus,
      { id: "amr-1", capabilities: ["lift"], credits: 2 },
      { clock: w.clock },
    );
    assert.deepEqual(
      { status: p.status, epoch: p.epoch, seq: p.seq, reason: p.reason },
      {
        status: "online",
        epoch: 1,
        seq: 0,
        reason: "registered",
      },
    );
    const stored = decodePayload("swarmlink.v1.AgentInfo", (await w.store.get(kvKeys.agent("amr-1")))!.value);
    assert.equal(stored.presence!.status, PresenceStatus.PRESENCE_STATUS_ONLINE);
    assert.equal(stored.presence!.epoch, 1);
    assert.equal(stored.registeredMs, T0);
    assert.deepEqual(stored.descriptor!.capabilities, ["lift"]);
    const a = node.directory.get("amr-1")!;
    assert.equal(a.status, "online");
    assert.equal(a.credits, 2);
    assert.deepEqual(
      events.map((e) => [e.agentId, e.status, e.epoch]),
      [["amr-1", "online", 1]],
    );
    assert.equal(node.stats().registrations, 1);
  });

  it("opens epoch 2 on a re-registration, seq back at 0, with the new descriptor", async () => {
    const node = await w.node();
    await registerAgent(w.bus, { id: "amr-1", capabilities: ["lift"] }, { clock: w.clock });
    const p = await registerAgent(w.bus, { id: "amr-1", capabilities: ["camera"] }, { clock: w.clock });
    assert.equal(p.epoch, 2);
    assert.equal(p.seq, 0);
    assert.deepEqual(node.directory.get("amr-1")!.capabilities, ["camera"]);
    assert.equal(node.directory.query({ capabilities: ["lift"] }).length, 0);
  });

  it("deregisters with the current epoch, and refuses an older one with E_FENCED", async () => {
    const node = await w.node();
    const agent = new SimulatedAgent(w.bus, { id: "amr-1" }, { clock: w.clock });
    const first = await agent.register();
    await agent.register();
    await assert.rejects(deregisterAgent(w.bus, "amr-1", first, { clock: w.clock }), (e) =>
      isSwarmError(e, "E_FENCED"),
    );
    const gone = await agent.deregister("mqtt will");
    assert.deepEqual([gone.status, gone.epoch, gone.seq, gone.reason], ["offline", 2, 1, "mqtt will"]);
    assert.equal(node.directory.get("amr-1")!.status, "offline");
    const again = await agent.deregister();
    assert.equal(again.seq, 1, "deregistering an offline agent changes nothing");
    await assert.rejects(deregisterAgent(w.bus, "ghost", 1, { clock: w.clock }), (e) =>
      isSwarmError(e, "E_NOT_FOUND"),
    );
    agent.close();
  });

  it("answers bad requests with an Error reply, counts them, and keeps serving", async () => {
    const node = await w.node();
    const reg = subjects.agentRegister("amr-1");
    const garbage = await errorReply(w, reg, new Uint8Array([1, 2, 3, 250]));
    assert.equal(garbage.code, "E_DECODE");
    const wrongType = wrap(
      "swarmlink.v1.Heartbeat",
      { agentId: "amr-1", epoch: 1 },
      { source: "amr-1" },
      { clock: w.clock },
    );
    assert.equal((await errorReply(w, reg, encodeEnvelope(wrongType))).code, "E_INVALID");
    const other = wrap(
      "swarmlink.v1.AgentDescriptor",
      { id: "amr-2" },
      { source: "amr-1" },
      { clock: w.clock },
    );
    assert.equal((await errorReply(w, reg, encodeEnvelope(other))).code, "E_FORBIDDEN");
    const nan = wrap(
      "swarmlink.v1.AgentDescriptor",
      { id: "amr-1", position: { cartesian: { x: Number.NaN, y: 0 } } },
      { source: "amr-1" },
      { clock: w.clock },
    );
    const bad = await errorReply(w, reg, encodeEnvelope(nan));
    assert.deepEqual([bad.code, bad.context.field], ["E_INVALID", "position"]);
    const tooMany = { id: "amr-1", capabilities: Array.from({ length: 300 }, (_, i) => `c${i}`) };
    await assert.rejects(registerAgent(w.bus, tooMany, { clock: w.clock }), (e) =>
      isSwarmError(e, "E_INVALID"),
    );
    assert.equal((await errorReply(w, subjects.registryQuery(), new Uint8Array([9]))).code, "E_DECODE");
    assert.equal(
      (await errorReply(w, subjects.agentDeregister("amr-1"), new Uint8Array())).code,
      "E_INVALID",
    );
    w.bus.publish(subjects.agentHeartbeat("amr-1"), new Uint8Array([7, 7, 7]));
    w.bus.publish(subjects.agentTelemetry("amr-1", "pose"), new Uint8Array([7]));
    await until(() => node.stats().badInputs === 9);
    assert.equal((await registerAgent(w.bus, { id: "amr-1" }, { clock: w.clock })).epoch, 1, "still serving");
    assert.equal(node.stats().failures, 0);
  });

  it("answers registry queries over the Bus from any node", async () => {
    await w.node({ nodeId: "n1" });
    await w.node({ nodeId: "n2" });
    for (const [i, caps] of [["lift"], ["lift", "camera"], ["camera"]].entries()) {
      const id = `amr-${i}`;
      await registerAgent(
        w.bus,
        { id, capabilities: caps, position: { cartesian: { x: i * 10, y: 0 } } },
        { clock: w.clock },
      );
    }
    const lifters = await queryAgents(
      w.bus,
      { capabilities: ["lift"], status: "online" },
      { clock: w.clock },
    );
    assert.deepEqual(
      lifters.map((a) => a.descriptor!.id),
      ["amr-0", "amr-1"],
    );
    const nearest = await queryAgents(w.bus, { nearest: { x: 21, y: 0, k: 2 } }, { clock: w.clock });
    assert.deepEqual(
      nearest.map((a) => a.descriptor!.id),
      ["amr-2", "amr-1"],
    );
    assert.equal(nearest[0]!.presence!.epoch, 1);
    await assert.rejects(
      queryAgents(w.bus, { near: { x: 0, y: 0, radius: -5 } }, { clock: w.clock }),
      (e) => isSwarmError(e, "E_INVALID") && e.context.field === "near",
    );
  });

  it("caps a reply at maxReplyAgents", async () => {
    await w.node({ maxReplyAgents: 3 });
    for (let i = 0; i < 5; i++) await registerAgent(w.bus, { id: `a${i}` }, { clock: w.clock });
    assert.equal((await queryAgents(w.bus, {}, { clock: w.clock })).length, 3);
  });

  it("moves agents in every node's index on pose telemetry, without a Store write", async () => {
    const n1 = await w.node();
    const n2 = await w.node({ isAuthority: () => false });
    const agent = new SimulatedAgent(
      w.bus,
      { id: "amr-1", position: { cartesian: { x: 0, y: 0 } } },
      { clock: w.clock },
    );
    await agent.register();
    const revision = (await w.store.get(kvKeys.agent("amr-1")))!.revision;
    agent.move(100, 40);
    await until(() => n2.directory.get("amr-1")?.position?.x === 100);
    assert.deepEqual(
      n1.directory.query({ near: { x: 100, y: 40, radius: 1 } }).map((a) => a.id),
      ["amr-1"],
    );
    assert.equal((await w.store.get(kvKeys.agent("amr-1")))!.revision, revision);
    assert.equal(n1.stats().poseUpdates, 1);
    agent.close();
  });

  it("lets a second node's index converge from the Store watch, including records written before it started", async () => {
    const n1 = await w.node();
    for (let i = 0; i < 20; i++)
      await registerAgent(w.bus, { id: `a${i}`, capabilities: ["lift"] }, { clock: w.clock });
    const n2 = new Registry({ bus: w.bus, store: w.store, clock: w.clock, isAuthority: () => false });
    await n2.start();
    assert.equal(n2.directory.size, 20, "start() resolves with the Store's records in the index");
    for (let i = 20; i < 40; i++)
      await registerAgent(w.bus, { id: `a${i}`, capabilities: ["lift"] }, { clock: w.clock });
    await until(() => n2.directory.size === 40);
    const ids = (r: Registry) =>
      r.directory.query({ capabilities: ["lift"] }).map((a) => `${a.id}@${a.epoch}/${a.seq}`);
    assert.deepEqual(ids(n2), ids(n1));
    await n2.stop();
  });

  it("refuses bad options with E_CONFIG naming the field", () => {
    const cases: [object, string][] = [
      [{ suspectAfterMs: 0 }, "suspectAfterMs"],
      [{ suspectAfterMs: 5000, offlineAfterMs: 4000 }, "offlineAfterMs"],
      [{ cellSizeM: -1 }, "cellSizeM"],
      [{ nodeId: "a.b" }, "nodeId"],
      [{ geoOrigin: { lat: 95, lon: 0 } }, "geoOrigin"],
      [{ isAuthority: () => true, leadership: {} }, "isAuthority"],
    ];
    for (const [opts, field] of cases) {
      assert.throws(
        () => new Registry({ bus: w.bus, store: w.store, ...opts }),
        (e) => isSwarmError(e, "E_CONFIG") && e.context.field === field,
      );
    }
  });
});
