import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { type NatsCluster, type NatsServer, probeNats, startNats, startNatsCluster } from "../src/mod.js";
import { isRunning, processesIn } from "./lifecycle.js";

/** Publishes until the stream acknowledges, for as long as a leader election may take. */
async function publishUntilAcked(nc: NatsConnection, subject: string, deadlineMs: number): Promise<number> {
  const js = jetstream(nc, { timeout: 2_000 });
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return (await js.publish(subject, "after the kill")).seq;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}

describe("a private nats-server with JetStream", () => {
  let ns: NatsServer;
  before(async () => {
    ns = await startNats();
  });
  after(() => ns?.stop());

  it("serves JetStream to a client that connects right after start", async () => {
    const nc = await connect({ servers: ns.url });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: "ORDERS", subjects: ["orders.>"] });
      const ack = await jetstream(nc).publish("orders.1", "first");
      assert.equal(ack.seq, 1);
    } finally {
      await nc.close();
    }
  });

  it("keeps its JetStream data across kill -9 and restart", async () => {
    await ns.kill();
    await ns.restart();
    const nc = await connect({ servers: ns.url });
    try {
      const info = await (await jetstreamManager(nc)).streams.info("ORDERS");
      assert.equal(info.state.messages, 1);
    } finally {
      await nc.close();
    }
  });

  it("runs without JetStream when asked, with extra arguments passed through", async () => {
    const plain = await startNats({ jetstream: false, args: ["--user", "harness", "--pass", "secret"] });
    try {
      assert.equal(plain.jetstream, false);
      const info = await probeNats(plain.port);
      assert.equal(info.auth_required, true);
      assert.equal(info.jetstream, undefined);
    } finally {
      await plain.stop();
    }
  });
});

describe("a private 3-node NATS JetStream cluster", () => {
  let cluster: NatsCluster;
  before(async function () {
    this.timeout(60_000);
    cluster = await startNatsCluster();
  });
  after(() => cluster?.stop());

  it("has three nodes on distinct ports, each serving clients", async () => {
    assert.equal(cluster.servers.length, 3);
    assert.equal(new Set(cluster.urls).size, 3);
    for (const server of cluster.servers) {
      const nc = await connect({ servers: server.url });
      try {
        assert.equal(nc.info?.server_name, server.serverName);
        assert.equal(nc.info?.cluster, cluster.name);
      } finally {
        await nc.close();
      }
    }
  });

  it("accepts publishes to an R3 stream after the stream's leader is killed", async function () {
    this.timeout(60_000);
    const nc = await connect({ servers: cluster.urls });
    try {
      const jsm = await jetstreamManager(nc);
      const info = await jsm.streams.add({ name: "TASKS", subjects: ["tasks.>"], num_replicas: 3 });
      assert.equal(info.config.num_replicas, 3);
      assert.equal((await jetstream(nc).publish("tasks.1", "before the kill")).seq, 1);

      const leaderName = (await jsm.streams.info("TASKS")).cluster?.leader;
      const leader = cluster.servers.find((s) => s.serverName === leaderName);
      assert.ok(leader, `stream leader ${leaderName} is one of ours`);
      await leader.kill();
      assert.equal(isRunning(leader.pid), false);

      assert.equal(await publishUntilAcked(nc, "tasks.2", 20_000), 2);

      await leader.restart();
      await cluster.waitReady();
    } finally {
      await nc.close();
    }
  });

  it("leaves no process behind when stopped", async function () {
    this.timeout(30_000);
    const pids = cluster.servers.map((s) => s.pid);
    const dirs = cluster.servers.map((s) => s.dir);
    await cluster.stop();
    await cluster.stop();
    for (const pid of pids) assert.equal(isRunning(pid), false, `pid ${pid} is gone`);
    for (const dir of dirs) assert.deepEqual(await processesIn(dir), []);
  });
});
