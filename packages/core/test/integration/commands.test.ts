import assert from "node:assert/strict";
import { type NatsServer, type ServerHandle, startNats, startRedis } from "@swarmlink/harness";
import { CommandReceiptState, CommandStatus, STREAMS } from "@swarmlink/protocol";
import { RedisStore } from "@swarmlink/store";
import { NatsBus } from "@swarmlink/transport";
import { CommandClient } from "../../src/commands/client.js";
import { CommandRouter } from "../../src/commands/router.js";
import { eventually, MapDirectory, ok, replyOf, TestAgent } from "../unit/command-helpers.js";

const S = CommandReceiptState;

describe("commands on NATS and Redis", () => {
  let nats: NatsServer;
  let redis: ServerHandle;
  let routerBus: NatsBus | undefined;
  let agentBus: NatsBus | undefined;
  let store: RedisStore | undefined;
  let router: CommandRouter | undefined;
  let agent: TestAgent | undefined;

  before(async () => {
    [nats, redis] = await Promise.all([startNats(), startRedis()]);
  });
  after(async () => {
    agent?.disconnect();
    await router?.stop();
    await Promise.all([routerBus?.close(), agentBus?.close(), store?.close()]);
    await Promise.all([nats?.stop(), redis?.stop()]);
  });

  it("loses none of 3 queued commands across a NATS restart, and delivers them in order on reconnect", async () => {
    routerBus = await NatsBus.connect({ servers: nats.url, reconnectTimeWaitMs: 100 });
    store = await RedisStore.connect({ url: redis.url });
    const directory = new MapDirectory();
    router = new CommandRouter({ bus: routerBus, store, directory, deliveryTimeoutMs: 5000 });
    await router.start();
    const client = new CommandClient({ bus: routerBus, issuer: "it" });

    const sent = [];
    for (const name of ["first", "second", "third"]) {
      sent.push(await client.send("amr-07", name, { name }, { ttlMs: 120_000 }));
    }
    assert.deepEqual(
      sent.map((r) => r.state),
      [S.COMMAND_RECEIPT_STATE_QUEUED, S.COMMAND_RECEIPT_STATE_QUEUED, S.COMMAND_RECEIPT_STATE_QUEUED],
    );
    assert.equal((await routerBus.streams.info(STREAMS.commands.name)).messages, 3);

    await nats.restart();
    await eventually(
      () =>
        routerBus!.flush().then(
          () => true,
          () => false,
        ),
      "the router to reconnect",
      15_000,
    );
    await eventually(
      async () =>
        (await routerBus!.streams.info(STREAMS.commands.name).catch(() => undefined))?.messages === 3,
      "the stream back with its 3 commands",
      15_000,
    );

    agentBus = await NatsBus.connect({ servers: nats.url });
    agent = new TestAgent(agentBus, "amr-07", { first: ok, second: ok, third: ok }).connect();
    await agentBus.flush();
    directory.set("amr-07", "online");

    await eventually(() => router!.stats().replied === 3, "three replies", 15_000);
    assert.deepEqual(agent.names, ["first", "second", "third"]);
    for (const r of sent) {
      const now = await client.get(r.commandId);
      assert.equal(now.state, S.COMMAND_RECEIPT_STATE_REPLIED);
      assert.equal(replyOf(now).status, CommandStatus.COMMAND_STATUS_OK);
    }
    await eventually(() => router!.stats().draining === 0, "the drain to end", 5000);
    assert.equal((await routerBus.streams.info(STREAMS.commands.name)).messages, 0);

    // Online now: the next command goes straight through.
    const direct = await client.send("amr-07", "first", undefined, { timeoutMs: 3000 });
    assert.equal(direct.state, S.COMMAND_RECEIPT_STATE_REPLIED);
  });
});
