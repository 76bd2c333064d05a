import assert from "node:assert/strict";
import { checkPrefix, isValidKey, MAX_KEY_LENGTH } from "@swarmlink/store";
import fc from "fast-check";

const segment = fc.stringMatching(/^[A-Za-z0-9_=/-]{1,12}$/);
const key = fc.array(segment, { minLength: 1, maxLength: 8 }).map((s) => s.join("."));

describe("key validation", () => {
  it("accepts every key built from allowed segments", () => {
    fc.assert(fc.property(key, (k) => isValidKey(k) === k.length <= MAX_KEY_LENGTH));
  });

  it("refuses any key with a character outside the alphabet", () => {
    const bad = fc.string({ minLength: 1, maxLength: 1 }).filter((c) => !/[A-Za-z0-9_=/.-]/.test(c));
    fc.assert(
      fc.property(key, bad, fc.nat(), (k, c, at) => {
        const i = at % (k.length + 1);
        return !isValidKey(k.slice(0, i) + c + k.slice(i));
      }),
    );
  });

  it("refuses empty segments: leading, trailing or double dots", () => {
    fc.assert(
      fc.property(key, (k) => !isValidKey(`.${k}`) && !isValidKey(`${k}.`) && !isValidKey(`${k}..x`)),
    );
  });

  it("accepts as prefix exactly the empty string and a valid key plus a dot", () => {
    fc.assert(fc.property(key, (k) => checkPrefix(`${k}.`) === `${k}.`));
    assert.equal(checkPrefix(""), "");
    for (const p of ["a", ".", "a..", "a.b"]) assert.throws(() => checkPrefix(p), { code: "E_INVALID" });
  });
});
