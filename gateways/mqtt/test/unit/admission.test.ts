import assert from "node:assert/strict";
import { MemoryBus } from "@swarmlink/transport";
import type { Client } from "aedes";
import { Admission, CONNACK } from "../../src/acl.js";
import { parseGatewayOptions } from "../../src/options.js";
import { StatsCounter } from "../../src/stats.js";

describe("Admission", () => {
  const bus = new MemoryBus();
  after(() => bus.close());
  const admission = (maxConnectionsPerCredential: number) =>
    new Admission(parseGatewayOptions({ bus, port: 0, maxConnectionsPerCredential }), new StatsCounter());
  const client = (id: string) => ({ id }) as Client;
  const code = async (a: Admission, id: string, username?: string) =>
    (await a.admit(client(id), username, undefined))?.returnCode ?? 0;

  it("holds one credential to its limit of client ids, a reconnecting id counting once, and frees a slot on release", async () => {
    const a = admission(2);
    assert.equal(await code(a, "d1", "fleet"), 0);
    assert.equal(await code(a, "d1", "fleet"), 0, "the same id again");
    assert.equal(await code(a, "d2", "fleet"), 0);
    assert.equal(await code(a, "d3", "fleet"), CONNACK.NOT_AUTHORIZED);
    a.release("d1");
    assert.equal(await code(a, "d3", "fleet"), 0);
    assert.equal(await code(a, "d1", "fleet"), CONNACK.NOT_AUTHORIZED);
    a.release("d2");
    a.release("d3");
    assert.equal(await code(a, "d4", "fleet"), 0);
    assert.equal(await code(a, "d5", "fleet"), 0);
  });

  it("takes a client id as the credential of a client without a username", async () => {
    const a = admission(1);
    assert.equal(await code(a, "d1"), 0);
    assert.equal(await code(a, "d1"), 0, "its reconnect");
    assert.equal(
      await code(a, "x", "d1"),
      CONNACK.NOT_AUTHORIZED,
      "a username that is its id shares its slot",
    );
    a.release("d1");
    assert.equal(await code(a, "x", "d1"), 0);
    assert.equal(await code(a, "d1"), CONNACK.NOT_AUTHORIZED);
    a.release("x");
    assert.equal(await code(a, "d1"), 0);
  });
});
