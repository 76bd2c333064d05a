import assert from "node:assert/strict";
import { type NatsServer, type ServerHandle, startNats, startRedis } from "@swarmlink/harness";
import { kvKeys } from "@swarmlink/protocol";
import { RedisStore } from "@swarmlink/store";
import { NatsBus } from "@swarmlink/transport";
import { Registry, SimulatedAgent } from "../../src/registry/mod.js";

const TIMING = { suspectAfterMs: 400, offlineAfterMs: 900, sweepIntervalMs: 50 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) assert.fail(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * The presence authority judges silence only while it can hear: a NATS outage silences every
 * agent at once, and marking them suspect and offline (the Store is still up) would fail their
 * tasks for nothing and make every agent register again.
 */
describe("Registry presence authority across a NATS outage (NATS + Redis)", function () {
  this.timeout(60_000);
  let nats: NatsServer;
  let redis: ServerHandle;
  const open: { close(): Promise<void> }[] = [];
  let agent: SimulatedAgent | undefined;
  let registry: Registry | undefined;

  before(async () => {
    nats = await startNats();
    redis = await startRedis();
  });
  after(async () => {
    agent?.close();
    await registry?.stop();
    for (const o of open.reverse()) await o.close();
    await redis?.stop();
    await nats?.stop();
  });

  it("marks nobody suspect or offline while its Bus is down, and counts silence from the reconnect", async () => {
    const bus = await NatsBus.connect({ servers: nats.url, name: "authority", reconnectTimeWaitMs: 50 });
    const agentBus = await NatsBus.connect({ servers: nats.url, name: "agent", reconnectTimeWaitMs: 50 });
    const store = await RedisStore.connect({ url: redis.url });
    open.push(bus, agentBus, store);
    registry = new Registry({ bus, store, nodeId: "n1", isAuthority: () => true, ...TIMING });
    await registry.start();
    agent = new SimulatedAgent(
      agentBus,
      { id: "amr-1", capabilities: ["lift"] },
      { heartbeatIntervalMs: 100 },
    );
    const epoch = await agent.register();
    agent.start();
    const status = () => registry!.index.get("amr-1")?.status;
    await until(() => status() === "online", 5000, "the agent online");
    const before = registry.stats().transitions;

    await nats.kill();
    await until(() => !bus.connected, 5000, "the authority to notice the outage");
    await sleep(2 * TIMING.offlineAfterMs); // long past offline, had it been judging
    assert.equal(status(), "online", "judged while deaf");
    await nats.restart();
    await until(() => bus.connected && agentBus.connected, 15_000, "both to reconnect");
    await sleep(TIMING.suspectAfterMs); // heartbeats resume; silence counts from the reconnect

    assert.equal(status(), "online");
    assert.equal(registry.stats().transitions, before, "no presence transition was written");
    const stored = await store.get(kvKeys.agent("amr-1"));
    assert.ok(stored, "the agent's record is there");
    assert.equal(registry.index.get("amr-1")?.epoch, epoch, "the agent never had to register again");
  });
});
