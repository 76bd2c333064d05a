import assert from "node:assert/strict";
import fc from "fast-check";
import { isSwarmError, isUlid, monotonicUlid, SimulatedClock, ulid, ulidTimeMs } from "../../src/mod.js";

describe("ULIDs", () => {
  it("are 26 characters of Crockford base32 that carry their time", () => {
    const clock = new SimulatedClock(1_700_000_000_123);
    const id = monotonicUlid({ clock })();
    assert.match(id, /^[0-9A-HJKMNP-TV-Z]{26}$/);
    assert.ok(isUlid(id));
    assert.equal(ulidTimeMs(id), 1_700_000_000_123);
  });

  it("encode the time part as the ULID spec's reference values do", () => {
    const zeros = () => {};
    assert.equal(monotonicUlid({ random: zeros })(0), "00000000000000000000000000");
    assert.equal(monotonicUlid({ random: zeros })(2 ** 48 - 1).slice(0, 10), "7ZZZZZZZZZ");
    assert.equal(monotonicUlid({ random: zeros })(1469918176385).slice(0, 10), "01ARYZ6S41");
  });

  it("encode the random part as its 80 bits, five at a time, most significant first", () => {
    const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 10, maxLength: 10 }), (random) => {
        const id = monotonicUlid({ random: (b) => b.set(random) })(1_700_000_000_000);
        const bits = [...random].map((b) => b.toString(2).padStart(8, "0")).join("");
        const expected = bits.match(/.{5}/g)!.map((five) => alphabet[Number.parseInt(five, 2)]);
        assert.equal(id.slice(10), expected.join(""));
        assert.equal(id.slice(0, 10), "01HF7YAT00");
      }),
      { numRuns: 500 },
    );
  });

  it("are strictly increasing within one millisecond, in string order", () => {
    const clock = new SimulatedClock(1_700_000_000_000);
    const next = monotonicUlid({ clock });
    const ids = Array.from({ length: 10_000 }, () => next());
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1]! < ids[i]!, `${ids[i - 1]} < ${ids[i]}`);
    assert.equal(new Set(ids).size, ids.length);
    assert.ok(ids.every((id) => ulidTimeMs(id) === 1_700_000_000_000));
  });

  it("stay increasing when the clock steps back", () => {
    const next = monotonicUlid();
    const a = next(5_000);
    const b = next(4_000);
    assert.ok(a < b);
    assert.equal(ulidTimeMs(b), 5_000);
  });

  it("move the time on when the random part overflows, instead of failing", () => {
    const next = monotonicUlid({ random: (b) => b.fill(0xff) });
    const a = next(1_000);
    const b = next(1_000);
    assert.ok(a < b);
    assert.equal(ulidTimeMs(b), 1_001);
  });

  it("sort by time across milliseconds, whatever the random part", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 2 }), fc.integer({ min: 1, max: 1000 }), (t, dt) => {
        const earlier = monotonicUlid()(t);
        const later = monotonicUlid()(Math.min(t + dt, 2 ** 48 - 1));
        assert.ok(earlier < later);
      }),
      { numRuns: 1000 },
    );
  });

  it("are unique across the process-wide factory", () => {
    const ids = new Set(Array.from({ length: 5_000 }, () => ulid()));
    assert.equal(ids.size, 5_000);
  });

  it("draw fresh entropy for every new millisecond, across refills of the random pool", () => {
    // Two factories, interleaved, each in a new millisecond every call: 2,000 draws of 10 bytes go
    // through several 4 KiB refills, and no random part comes twice.
    const a = monotonicUlid();
    const b = monotonicUlid();
    const parts = new Set<string>();
    for (let t = 1; t <= 1000; t++) {
      parts.add(a(t).slice(10));
      parts.add(b(t).slice(10));
    }
    assert.equal(parts.size, 2000);
  });

  it("refuse a time outside 48 bits with E_INVALID", () => {
    for (const t of [-1, 2 ** 48, 1.5, Number.NaN]) {
      assert.throws(
        () => ulid(t),
        (err) => isSwarmError(err, "E_INVALID"),
      );
    }
    assert.throws(
      () => ulidTimeMs("nope"),
      (err) => isSwarmError(err, "E_INVALID"),
    );
  });

  it("are recognised only in canonical form", () => {
    assert.equal(isUlid("01arz3ndektsv4rrffq69g5fav"), false);
    assert.equal(isUlid("01ARZ3NDEKTSV4RRFFQ69G5FAV"), true);
    assert.equal(isUlid("81ARZ3NDEKTSV4RRFFQ69G5FAV"), false, "time part over 48 bits");
    assert.equal(isUlid("01ARZ3NDEKTSV4RRFFQ69G5FAU"), false, "U is not Crockford");
    assert.equal(isUlid(42), false);
  });
});
