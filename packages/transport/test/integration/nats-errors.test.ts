import assert from "node:assert/strict";
import { type NatsServer, startNats } from "@swarmlink/harness";
import { isSwarmError } from "@swarmlink/protocol";
import { NatsBus } from "@swarmlink/transport";
import { bytes, unique } from "@swarmlink/transport/testing";

// NatsBus builds no Error with a stack per request (nats.js's async traces are off, its requests
// have their own inboxes); what a caller needs to know about a failed request comes from the
// SwarmError itself.
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

  it("reports a timeout as E_TIMEOUT naming the subject and the deadline", async () => {
    const subject = unique("t.silent");
    const mute = bus.subscribe(subject, { callback: () => {} });
    await bus.flush();
    await assert.rejects(bus.request(subject, bytes("x"), { timeout: 100 }), (err) => {
      assert.ok(isSwarmError(err, "E_TIMEOUT"), String(err));
      assert.deepEqual(err.context, { subject, timeoutMs: 100 });
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

  it("pairs each of many concurrent requests with its own reply, and drops a late one", async () => {
    const subject = unique("t.echo");
    const echo = bus.subscribe(subject, { callback: (_e, m) => m.respond(m.data) });
    await bus.flush();
    const asked = Array.from({ length: 300 }, (_, i) => `q${i}`);
    const answers = await Promise.all(asked.map((q) => bus.request(subject, bytes(q), { timeout: 5000 })));
    assert.deepEqual(
      answers.map((m) => new TextDecoder().decode(m.data)),
      asked,
    );
    echo.unsubscribe();
    const slow = unique("t.slow");
    const late = bus.subscribe(slow, {
      callback: (_e, m) => setTimeout(() => m.respond(bytes("late")), 150),
    });
    await bus.flush();
    await assert.rejects(bus.request(slow, bytes("?"), { timeout: 50 }), (err) =>
      isSwarmError(err, "E_TIMEOUT"),
    );
    await new Promise((r) => setTimeout(r, 200));
    late.unsubscribe();
  });

  it("rejects a request still waiting when the connection closes with E_CLOSED", async () => {
    const own = await NatsBus.connect({ servers: server.url });
    const subject = unique("t.mute");
    own.subscribe(subject, { callback: () => {} });
    await own.flush();
    const pending = own.request(subject, bytes("?"), { timeout: 10_000 });
    await own.close();
    await assert.rejects(pending, (err) => isSwarmError(err, "E_CLOSED"));
  });

  it("reports a publish JetStream refuses by its API error: a wrong expected sequence is E_CONFLICT", async () => {
    const name = unique("REFUSE").replaceAll(".", "_");
    const subject = unique("refuse.x");
    await bus.streams.ensure({ name, subjects: [subject] });
    const first = await bus.streams.publish(subject, bytes("a"), { headers: { "x-k": "v" } });
    await assert.rejects(
      bus.streams.publish(subject, bytes("b"), { headers: { "Nats-Expected-Last-Sequence": "999" } }),
      (err) => {
        assert.ok(isSwarmError(err, "E_CONFLICT"), String(err));
        assert.equal(err.context.subject, subject);
        assert.equal(err.context.errCode, 10071);
        return true;
      },
    );
    const ok = await bus.streams.publish(subject, bytes("c"), {
      headers: { "Nats-Expected-Last-Sequence": String(first.seq) },
    });
    assert.equal(ok.seq, first.seq + 1);
    await bus.streams.delete(name);
  });

  it("times a stream publish nobody answers out with E_TIMEOUT", async () => {
    const subject = unique("t.mutestream");
    const mute = bus.subscribe(subject, { callback: () => {} });
    await bus.flush();
    const t0 = Date.now();
    await assert.rejects(bus.streams.publish(subject, bytes("x"), { timeout: 100 }), (err) =>
      isSwarmError(err, "E_TIMEOUT"),
    );
    // The timeout given, not the default 5 s.
    assert.ok(Date.now() - t0 < 2000, `timed out after ${Date.now() - t0} ms`);
    mute.unsubscribe();
  });

  it("rejects a stream publish on a closed or drained bus with E_CLOSED, never a throw", async () => {
    for (const end of ["close", "drain"] as const) {
      const own = await NatsBus.connect({ servers: server.url });
      const name = unique("CLOSED").replaceAll(".", "_");
      const subject = unique("closed.x");
      await own.streams.ensure({ name, subjects: [subject] });
      await own.streams.publish(subject, bytes("a"));
      await own.streams.delete(name);
      await (end === "close" ? own.close() : own.drain());
      let late: Promise<unknown> | undefined;
      assert.doesNotThrow(() => {
        late = own.streams.publish(subject, bytes("b"), { timeout: 1000 });
      });
      await assert.rejects(late!, (err) => isSwarmError(err, "E_CLOSED"), end);
    }
  });
});
