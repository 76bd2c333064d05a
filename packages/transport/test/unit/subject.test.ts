import assert from "node:assert/strict";
import { checkSubject, subjectMatches } from "@swarmlink/transport";
import fc from "fast-check";

describe("subjects", () => {
  it("matches * to exactly one token and > to one or more", () => {
    assert.equal(subjectMatches("a.*.c", "a.b.c"), true);
    assert.equal(subjectMatches("a.*.c", "a.b.x.c"), false);
    assert.equal(subjectMatches("a.>", "a.b"), true);
    assert.equal(subjectMatches("a.>", "a.b.c.d"), true);
    assert.equal(subjectMatches("a.>", "a"), false);
    assert.equal(subjectMatches("a.b", "a.b.c"), false);
  });

  it("accepts or refuses any string with E_INVALID, never another error", () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), fc.boolean(), (s, wild) => {
        try {
          checkSubject(s, wild);
        } catch (err) {
          assert.equal((err as { code?: string }).code, "E_INVALID");
        }
      }),
      { numRuns: 5000 },
    );
  });

  it("a literal subject matches itself and a '>' on any of its prefixes", () => {
    const token = fc.stringMatching(/^[a-z0-9_-]{1,8}$/);
    fc.assert(
      fc.property(fc.array(token, { minLength: 2, maxLength: 6 }), fc.nat(), (tokens, cut) => {
        const subject = tokens.join(".");
        const k = 1 + (cut % (tokens.length - 1));
        assert.equal(subjectMatches(subject, subject), true);
        assert.equal(subjectMatches(`${tokens.slice(0, k).join(".")}.>`, subject), true);
      }),
      { numRuns: 2000 },
    );
  });
});
