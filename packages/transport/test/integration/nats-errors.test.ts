import assert from "node:assert/strict";
import { errors } from "@nats-io/transport-node";
import { type NatsServer, startNats } from "@swarmlink/harness";
import { isSwarmError } from "@swarmlink/protocol";
import { NatsBus } from "@swarmlink/transport";
import { bytes, unique } from "@swarmlink/transport/testing";

// NatsBus turns nats.js's async traces off (no stack built per request); what a caller needs to
// know about a failed request must then come from the SwarmError itself.
describe("NatsBus request failures", () => {
  let server: NatsServer;
  let bus: NatsBus;

  before(async () => {
    server = await startNats();
    bus = await NatsBus.connect({ servers: server.url });
  });
  after(async () => {
    await bus?.close();
    await server?.stop();
  });

  it("reports a timeout as E_TIMEOUT naming the subject and the deadline, nats.js's error as cause", async () => {
    const subject = unique("t.silent");
    const mute = bus.subscribe(subject, { callback: () => {} });
    await bus.flush();
    await assert.rejects(bus.request(subject, bytes("x"), { timeout: 100 }), (err) => {
      assert.ok(isSwarmError(err, "E_TIMEOUT"), String(err));
      assert.deepEqual(err.context, { subject, timeoutMs: 100 });
      assert.ok(err.cause instanceof errors.TimeoutError);
      return true;
    });
    mute.unsubscribe();
  });

  it("reports no responders as E_NO_RESPONDERS naming the subject", async () => {
    const subject = unique("t.nobody");
    await assert.rejects(bus.request(subject, bytes("x"), { timeout: 2000 }), (err) => {
      assert.ok(isSwarmError(err, "E_NO_RESPONDERS"), String(err));
      assert.equal(err.context.subject, subject);
      assert.match(err.message, /no responders/);
      return true;
    });
  });
});
