import assert from "node:assert/strict";
import { type NatsServer, startNats } from "@swarmlink/harness";
import { isSwarmError } from "@swarmlink/protocol";
import { MemoryBus } from "@swarmlink/transport";
import { connect } from "../../src/mod.js";

/** A round trip through the Swarm's own Bus: proof the login worked. */
async function echo(swarm: Awaited<ReturnType<typeof connect>>): Promise<string> {
  const sub = swarm.bus.subscribe("t.echo", { callback: (_e, m) => m.respond(m.data) });
  try {
    const m = await swarm.bus.request("t.echo", new TextEncoder().encode("hi"), { timeout: 2000 });
    return new TextDecoder().decode(m.data);
  } finally {
    sub.unsubscribe();
  }
}

describe("connect with credentials to a NATS server that requires them", () => {
  let userServer: NatsServer;
  let tokenServer: NatsServer;

  before(async () => {
    [userServer, tokenServer] = await Promise.all([
      startNats({ jetstream: false, args: ["--user", "u", "--pass", "p"] }),
      startNats({ jetstream: false, args: ["--auth", "s3cret"] }),
    ]);
  });
  after(async () => {
    await Promise.all([userServer?.stop(), tokenServer?.stop()]);
  });

  it("connects with the right user and password", async () => {
    const swarm = await connect({ servers: userServer.url, credentials: { user: "u", pass: "p" } });
    try {
      assert.equal(await echo(swarm), "hi");
    } finally {
      await swarm.close();
    }
  });

  it("connects with the right token", async () => {
    const swarm = await connect({ servers: tokenServer.url, credentials: { token: "s3cret" } });
    try {
      assert.equal(await echo(swarm), "hi");
    } finally {
      await swarm.close();
    }
  });

  it("fails E_FORBIDDEN, without the secret in the error, for a wrong password, a wrong token or none", async () => {
    for (const [url, credentials] of [
      [userServer.url, { user: "u", pass: "wrong" }],
      [tokenServer.url, { token: "wrong" }],
      [userServer.url, undefined],
    ] as const) {
      await assert.rejects(
        connect({ servers: url, ...(credentials ? { credentials } : {}) }),
        (e) => isSwarmError(e, "E_FORBIDDEN") && !JSON.stringify(e.toJSON()).includes("wrong"),
      );
    }
  });

  it("fails E_UNAVAILABLE when no server answers, whatever the credentials", async () => {
    const down = await startNats({ jetstream: false });
    const url = down.url;
    await down.stop();
    await assert.rejects(connect({ servers: url, credentials: { user: "u", pass: "p" } }), (e) =>
      isSwarmError(e, "E_UNAVAILABLE"),
    );
  });

  it("rejects credentials of a bad shape, or given with a bus, with E_CONFIG naming credentials", async () => {
    const bad = [{ user: "u" }, { token: "" }, { token: "t", user: "u", pass: "p" }, "u:p", { pass: "p" }];
    for (const credentials of bad) {
      await assert.rejects(
        // @ts-expect-error shapes the type refuses, as plain JavaScript callers could pass them
        connect({ servers: userServer.url, credentials }),
        (e) => isSwarmError(e, "E_CONFIG") && e.context.field === "credentials",
      );
    }
    const bus = new MemoryBus();
    await assert.rejects(
      connect({ bus, credentials: { token: "t" } }),
      (e) => isSwarmError(e, "E_CONFIG") && e.context.field === "credentials",
    );
    await bus.close();
  });
});
