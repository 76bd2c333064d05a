import assert from "node:assert/strict";
import type { Bus } from "../types.js";
import { bytes, rejectsWith, sleep, take, text, unique, until } from "./helpers.js";
import { streamConformance } from "./streams.js";

/** What a conformance run needs from an implementation. */
export interface BusFixture {
  bus: Bus;
  /** A second client of the same backend (another connection; the same Bus where there is only one). */
  peer(): Promise<Bus>;
  cleanup?(): Promise<void>;
}

/**
 * The Bus contract, as tests. Every implementation runs this same suite with its own factory, the
 * way aedes-persistence's abstract tests are run by each backend.
 *
 * @example
 * ```ts
 * busConformance("memory", async () => {
 *   const bus = new MemoryBus();
 *   return { bus, peer: async () => bus };
 * });
 * ```
 */
export function busConformance(name: string, factory: () => Promise<BusFixture>): void {
  describe(`Bus conformance: ${name}`, () => {
    let fx: BusFixture;
    let bus: Bus;
    const peers: Bus[] = [];
    const peer = async () => {
      const p = await fx.peer();
      if (p !== bus) peers.push(p);
      return p;
    };

    before(async () => {
      fx = await factory();
      bus = fx.bus;
    });
    after(async () => {
      for (const p of peers) await p.close();
      await bus?.close();
      await fx?.cleanup?.();
    });

    it("delivers a published message to a subscriber of the exact subject", async () => {
      const subj = unique("t.exact");
      const sub = bus.subscribe(subj);
      await bus.flush();
      bus.publish(subj, bytes("hello"), { headers: { "x-k": "v" } });
      for await (const m of sub) {
        assert.equal(text(m.data), "hello");
        assert.equal(m.subject, subj);
        assert.equal(m.headers?.["x-k"], "v");
        break;
      }
    });

    it("matches * to one token and > to one or more trailing tokens", async () => {
      const root = unique("t");
      const star = bus.subscribe(`${root}.*.hb`);
      const tail = bus.subscribe(`${root}.>`);
      await bus.flush();
      for (const s of [`${root}.a.hb`, `${root}.a.b.hb`, `${root}.b.hb`, `${root}.c`])
        bus.publish(s, bytes(s));
      assert.deepEqual(await take(star, 2), [`${root}.a.hb`, `${root}.b.hb`]);
      assert.deepEqual((await take(tail, 4)).sort(), [
        `${root}.a.b.hb`,
        `${root}.a.hb`,
        `${root}.b.hb`,
        `${root}.c`,
      ]);
    });

    it("keeps each publisher's order", async () => {
      const subj = unique("t.order");
      const other = await peer();
      const sub = bus.subscribe(subj);
      await bus.flush();
      const n = 2000;
      for (let i = 0; i < n; i++) {
        bus.publish(subj, bytes(`a:${i}`));
        other.publish(subj, bytes(`b:${i}`));
      }
      await other.flush();
      const got = await take(sub, 2 * n, 10_000);
      for (const who of ["a", "b"]) {
        const seq = got.filter((s) => s.startsWith(`${who}:`)).map((s) => Number(s.slice(2)));
        assert.deepEqual(seq, [...Array(n).keys()], `publisher ${who} out of order`);
      }
    });

    it("gives each message of a queue group to exactly one member, and every plain subscriber a copy", async () => {
      const subj = unique("t.queue");
      const other = await peer();
      const counts = [0, 0];
      const q1 = bus.subscribe(subj, { queue: "workers", callback: () => counts[0]!++ });
      const q2 = other.subscribe(subj, { queue: "workers", callback: () => counts[1]!++ });
      let plain = 0;
      const p = bus.subscribe(subj, { callback: () => plain++ });
      await bus.flush();
      await other.flush();
      for (let i = 0; i < 400; i++) bus.publish(subj, bytes(String(i)));
      await until(() => counts[0]! + counts[1]! === 400 && plain === 400, 5000, "400 deliveries");
      await sleep(50);
      assert.equal(counts[0]! + counts[1]!, 400, "a message went to two members");
      assert.ok(counts[0]! > 0 && counts[1]! > 0, `not spread: ${counts}`);
      for (const s of [q1, q2, p]) s.unsubscribe();
    });

    it("answers a request within its deadline", async () => {
      const subj = unique("t.req");
      const responder = bus.subscribe(subj, {
        callback: (_e, m) => m.respond(bytes(`re:${text(m.data)}`), { headers: { "x-r": "1" } }),
      });
      await bus.flush();
      const reply = await bus.request(subj, bytes("ping"), { timeout: 2000 });
      assert.equal(text(reply.data), "re:ping");
      assert.equal(reply.headers?.["x-r"], "1");
      responder.unsubscribe();
    });

    it("rejects a request nobody answers in time with E_TIMEOUT", async () => {
      const subj = unique("t.silent");
      const mute = bus.subscribe(subj, { callback: () => {} });
      await bus.flush();
      const t0 = Date.now();
      await rejectsWith(bus.request(subj, bytes("x"), { timeout: 200 }), "E_TIMEOUT");
      assert.ok(Date.now() - t0 >= 150, "timed out before its deadline");
      mute.unsubscribe();
    });

    it("rejects a request with no subscriber with E_NO_RESPONDERS", async () => {
      await rejectsWith(bus.request(unique("t.nobody"), bytes("x"), { timeout: 2000 }), "E_NO_RESPONDERS");
    });

    it("rejects a request whose signal aborts with E_ABORTED", async () => {
      const subj = unique("t.abort");
      const mute = bus.subscribe(subj, { callback: () => {} });
      await bus.flush();
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 50);
      await rejectsWith(bus.request(subj, bytes("x"), { timeout: 5000, signal: ac.signal }), "E_ABORTED");
      mute.unsubscribe();
    });

    it("ends a subscription on break, on unsubscribe and on abort", async () => {
      const subj = unique("t.end");
      const a = bus.subscribe(subj);
      const ac = new AbortController();
      const b = bus.subscribe(subj, { signal: ac.signal });
      const c = bus.subscribe(subj);
      await bus.flush();
      bus.publish(subj, bytes("1"));
      for await (const _ of a) break;
      await a.closed;
      ac.abort();
      await b.closed;
      c.unsubscribe();
      await c.closed;
    });

    it("bounds a slow subscriber: past maxPending the oldest go, counted in dropped", async () => {
      const subj = unique("t.slow");
      const sub = bus.subscribe(subj, { maxPending: 10 });
      await bus.flush();
      for (let i = 0; i < 100; i++) bus.publish(subj, bytes(String(i)));
      await bus.flush();
      await until(() => sub.received === 100, 5000, "100 received");
      assert.equal(sub.dropped, 90);
      assert.deepEqual(await take(sub, 10), ["90", "91", "92", "93", "94", "95", "96", "97", "98", "99"]);
    });

    it("drains: hands out what is queued, then ends", async () => {
      const subj = unique("t.drain");
      const sub = bus.subscribe(subj);
      await bus.flush();
      for (let i = 0; i < 5; i++) bus.publish(subj, bytes(String(i)));
      await until(() => sub.received === 5, 5000, "5 received");
      const drained = sub.drain();
      const got: string[] = [];
      for await (const m of sub) got.push(text(m.data));
      await drained;
      assert.deepEqual(got, ["0", "1", "2", "3", "4"]);
    });

    it("refuses a payload larger than maxPayloadBytes with E_TOO_LARGE", async () => {
      const big = new Uint8Array(bus.capabilities.maxPayloadBytes + 1);
      await rejectsWith(() => bus.publish(unique("t.big"), big), "E_TOO_LARGE");
    });

    it("refuses wildcards and empty tokens in a publish subject with E_INVALID", async () => {
      await rejectsWith(() => bus.publish("a.*.c", bytes("x")), "E_INVALID");
      await rejectsWith(() => bus.publish("a..c", bytes("x")), "E_INVALID");
      await rejectsWith(() => bus.subscribe("a.>.c"), "E_INVALID");
    });

    streamConformance(() => bus, peer);
  });

  describe(`Bus conformance: ${name} (lifecycle)`, () => {
    it("refuses work after close with E_CLOSED and settles closed()", async () => {
      const fx = await factory();
      try {
        const sub = fx.bus.subscribe(unique("t.closing"));
        assert.equal(fx.bus.connected, true);
        await fx.bus.close();
        assert.equal(fx.bus.connected, false);
        await sub.closed;
        await rejectsWith(() => fx.bus.publish(unique("t.closed"), bytes("x")), "E_CLOSED");
        await rejectsWith(fx.bus.request(unique("t.closed"), bytes("x")), "E_CLOSED");
        assert.equal(await fx.bus.closed(), undefined);
      } finally {
        await fx.cleanup?.();
      }
    });
  });
}
