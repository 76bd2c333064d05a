import assert from "node:assert/strict";
import type { Bus, StreamMsg } from "../types.js";
import { bytes, rejectsWith, sleep, text, unique, until } from "./helpers.js";

/** The durable-stream half of the Bus contract; called by busConformance. */
export function streamConformance(getBus: () => Bus, peer: () => Promise<Bus>): void {
  describe("durable streams", () => {
    let bus: Bus;
    let created: string[] = [];
    before(() => {
      bus = getBus();
    });
    afterEach(async () => {
      for (const s of created) await bus.streams.delete(s).catch(() => {});
      created = [];
    });

    async function stream(retention: "limits" | "workqueue" = "limits") {
      const name = unique("S");
      const subject = `${name.toLowerCase()}.in`;
      await bus.streams.ensure({ name, subjects: [`${subject}.>`], retention, duplicateWindowMs: 60_000 });
      created.push(name);
      return { name, subject: (k: string | number) => `${subject}.${k}` };
    }

    async function publishN(subject: (k: number) => string, n: number) {
      for (let i = 0; i < n; i++) await bus.streams.publish(subject(i), bytes(String(i)));
    }

    /** Takes `n` messages from a fresh fetch loop, for backends whose fetch waits for a full batch. */
    async function fetchN(
      c: { fetch: (o: { batch: number; expiresMs: number }) => Promise<StreamMsg[]> },
      n: number,
    ) {
      const out: StreamMsg[] = [];
      const deadline = Date.now() + 10_000;
      while (out.length < n && Date.now() < deadline)
        out.push(...(await c.fetch({ batch: n - out.length, expiresMs: 1000 })));
      return out;
    }

    it("acknowledges a publish with a growing sequence and de-duplicates by msgId", async () => {
      const s = await stream();
      const a = await bus.streams.publish(s.subject(1), bytes("a"), { msgId: "k1" });
      const b = await bus.streams.publish(s.subject(2), bytes("b"));
      const again = await bus.streams.publish(s.subject(1), bytes("a"), { msgId: "k1" });
      assert.equal(a.stream, s.name);
      assert.ok(b.seq > a.seq);
      assert.equal(again.duplicate, true);
      assert.equal(again.seq, a.seq);
      assert.equal((await bus.streams.info(s.name)).messages, 2);
    });

    it("stores a publish's headers with its message, beside a msgId", async () => {
      const s = await stream();
      await bus.streams.publish(s.subject(1), bytes("h"), { msgId: "kh", headers: { "x-k": "v" } });
      const c = await bus.streams.consumer(s.name, { name: "ch", ackWaitMs: 10_000 });
      const [m] = await fetchN(c, 1);
      assert.equal(m?.headers?.["x-k"], "v");
      m?.ack();
    });

    it("fails a publish no stream stores with E_NOT_FOUND", async () => {
      await rejectsWith(
        bus.streams.publish(unique("nostream.x"), bytes("x"), { timeout: 2000 }),
        "E_NOT_FOUND",
      );
    });

    it("does not redeliver an acked message, and redelivers a nak'd one with its delivery count", async () => {
      const s = await stream();
      await publishN(s.subject, 2);
      const c = await bus.streams.consumer(s.name, { name: "c1", ackWaitMs: 5000 });
      const [m0, m1] = await fetchN(c, 2);
      assert.deepEqual([text(m0!.data), text(m1!.data)], ["0", "1"]);
      assert.equal(m0!.deliveryCount, 1);
      m0!.ack();
      m1!.nak();
      const [again] = await fetchN(c, 1);
      assert.equal(text(again!.data), "1");
      assert.equal(again!.deliveryCount, 2);
      again!.ack();
      await until(async () => (await c.info()).ackPending === 0, 3000, "no ack pending");
      assert.equal((await c.info()).pending, 0);
    });

    it("redelivers a nak with a delay after the delay, not before", async () => {
      const s = await stream();
      await publishN(s.subject, 1);
      const c = await bus.streams.consumer(s.name, { name: "c1", ackWaitMs: 10_000 });
      const [m] = await fetchN(c, 1);
      const t0 = Date.now();
      m!.nak(700);
      const [again] = await fetchN(c, 1);
      assert.ok(Date.now() - t0 >= 600, `redelivered after ${Date.now() - t0} ms`);
      assert.equal(again!.seq, m!.seq);
      again!.ack();
    });

    it("redelivers a message not acknowledged within ackWait", async () => {
      const s = await stream();
      await publishN(s.subject, 1);
      const c = await bus.streams.consumer(s.name, { name: "c1", ackWaitMs: 500 });
      const [m] = await fetchN(c, 1);
      const t0 = Date.now();
      const [again] = await fetchN(c, 1);
      assert.ok(Date.now() - t0 >= 400, "redelivered before the ack deadline");
      assert.equal(again!.seq, m!.seq);
      assert.equal(again!.deliveryCount, 2);
      again!.ack();
    });

    it("extends the ack deadline while a handler reports working", async () => {
      const s = await stream();
      await publishN(s.subject, 1);
      const c = await bus.streams.consumer(s.name, { name: "c1", ackWaitMs: 600 });
      const [m] = await fetchN(c, 1);
      // Three ack waits go by while the handler keeps saying it is still working.
      const beat = setInterval(() => m!.working(), 200);
      try {
        assert.equal((await c.fetch({ batch: 1, expiresMs: 1800 })).length, 0, "redelivered while working");
      } finally {
        clearInterval(beat);
      }
      m!.ack();
    });

    it("never redelivers a terminated message", async () => {
      const s = await stream();
      await publishN(s.subject, 1);
      const c = await bus.streams.consumer(s.name, { name: "c1", ackWaitMs: 300 });
      const [m] = await fetchN(c, 1);
      m!.term("poison");
      assert.equal((await c.fetch({ batch: 1, expiresMs: 1200 })).length, 0);
    });

    it("stops redelivering after maxDeliver deliveries", async () => {
      const s = await stream();
      await publishN(s.subject, 1);
      const c = await bus.streams.consumer(s.name, { name: "c1", ackWaitMs: 300, maxDeliver: 2 });
      const first = await fetchN(c, 1);
      const second = await fetchN(c, 1);
      assert.deepEqual([first[0]!.deliveryCount, second[0]!.deliveryCount], [1, 2]);
      assert.equal((await c.fetch({ batch: 1, expiresMs: 1200 })).length, 0);
    });

    it("loses nothing when a consumer dies mid-batch: the unacked come back to the durable", async () => {
      const s = await stream();
      await publishN(s.subject, 10);
      const other = await peer();
      const dying = await other.streams.consumer(s.name, { name: "workers", ackWaitMs: 700 });
      const batch = await fetchN(dying, 10);
      for (const m of batch.slice(0, 4)) m.ack();
      if (other !== bus) await other.close();
      const survivor = await bus.streams.consumer(s.name, { name: "workers", ackWaitMs: 700 });
      const back = await fetchN(survivor, 6);
      assert.deepEqual(
        back.map((m) => text(m.data)),
        ["4", "5", "6", "7", "8", "9"],
      );
      assert.ok(back.every((m) => m.deliveryCount === 2));
      for (const m of back) m.ack();
    });

    it("never has more than maxInFlight messages unacknowledged", async () => {
      const s = await stream();
      await publishN(s.subject, 40);
      const c = await bus.streams.consumer(s.name, { name: "c1", maxInFlight: 5, ackWaitMs: 10_000 });
      const ms = c.consume({ maxMessages: 20 });
      let outstanding = 0;
      let most = 0;
      let seen = 0;
      const acks: Promise<void>[] = [];
      for await (const m of ms) {
        outstanding++;
        most = Math.max(most, outstanding);
        seen++;
        acks.push(
          sleep(15).then(() => {
            outstanding--;
            m.ack();
          }),
        );
        if (seen === 40) break;
      }
      await Promise.all(acks);
      assert.equal(seen, 40);
      assert.ok(most <= 5, `saw ${most} unacknowledged at once`);
      assert.equal(most, 5, "never filled the window");
    });

    it("removes a message from a work-queue stream once acknowledged", async () => {
      const s = await stream("workqueue");
      await publishN(s.subject, 3);
      const c = await bus.streams.consumer(s.name, { name: "wq" });
      const got = await fetchN(c, 3);
      got[0]!.ack();
      got[1]!.ack();
      await until(async () => (await bus.streams.info(s.name)).messages === 1, 3000, "one message left");
      got[2]!.ack();
      await until(async () => (await bus.streams.info(s.name)).messages === 0, 3000, "empty stream");
    });

    it("delivers only matching subjects to a filtered consumer", async () => {
      const s = await stream();
      await bus.streams.publish(s.subject("a"), bytes("a"));
      await bus.streams.publish(s.subject("b"), bytes("b"));
      const c = await bus.streams.consumer(s.name, { name: "only-b", filterSubject: s.subject("b") });
      const [m] = await fetchN(c, 1);
      assert.equal(text(m!.data), "b");
      m!.ack();
    });
  });
}
