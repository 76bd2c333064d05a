import assert from "node:assert/strict";
import { SimulatedClock } from "@swarmlink/protocol";
import { TokenBucket } from "../../src/bucket.js";
import { LagGovernor, MIN_RATE_FACTOR, RATE_RECOVERY_MS } from "../../src/lag.js";

describe("TokenBucket", () => {
  it("gives a burst at once, then one token per interval", () => {
    const clock = new SimulatedClock(1000);
    const b = new TokenBucket(100, 3, clock);
    assert.deepEqual([b.take(), b.take(), b.take(), b.take()], [true, true, true, false]);
    assert.equal(b.waitMs(), 10);
    clock.advance(10);
    assert.equal(b.take(), true);
  });

  it("reserves tokens in order, each due one interval after the one before", () => {
    const clock = new SimulatedClock();
    const b = new TokenBucket(100, 2, clock);
    assert.deepEqual(
      Array.from({ length: 6 }, () => b.reserve()),
      [0, 0, 10, 20, 30, 40],
    );
    clock.advance(40);
    assert.equal(b.reserve(), 10, "the debt is paid by time, not forgotten");
  });

  it("refills at the rate its function gives at each refill", () => {
    const clock = new SimulatedClock();
    let rate = 100;
    const b = new TokenBucket(() => rate, 1, clock);
    b.take();
    rate = 10;
    assert.equal(b.waitMs(), 100);
  });
});

describe("LagGovernor", () => {
  it("halves the rate share when the core lags and grows it back when it keeps up", () => {
    const clock = new SimulatedClock();
    const lag = new LagGovernor(clock, 100);
    lag.observe(20);
    assert.equal(lag.factor(), 1);
    lag.observe(1000); // EWMA 196 > 100
    assert.equal(lag.factor(), 0.5);
    lag.observe(1000);
    assert.equal(lag.factor(), 0.5, "at most one cut per target interval");
    clock.advance(100);
    lag.observe(1000);
    assert.ok(lag.factor() < 0.3);
    clock.advance(RATE_RECOVERY_MS);
    assert.equal(lag.factor(), 1);
  });

  it("cuts on the Bus pushing back, never below the floor, and not at all with target 0", () => {
    const clock = new SimulatedClock();
    const lag = new LagGovernor(clock, 10);
    for (let i = 0; i < 20; i++) {
      lag.pushBack();
      clock.advance(10);
    }
    assert.ok(lag.factor() >= MIN_RATE_FACTOR && lag.factor() < 0.1);
    const off = new LagGovernor(clock, 0);
    off.pushBack();
    off.observe(10_000);
    assert.equal(off.factor(), 1);
  });
});
