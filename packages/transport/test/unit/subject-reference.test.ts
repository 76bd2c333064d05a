import assert from "node:assert/strict";
import { checkSubject, subjectMatches } from "@swarmlink/transport";
import fc from "fast-check";

// The first, obvious versions (split on ".", a regular expression per token): the one-pass versions
// in src/subject.ts must agree with them on every input.
function referenceProblem(subject: string, allowWildcards: boolean): string | undefined {
  if (subject.length === 0 || subject.length > 1024) return "subject must be 1 to 1024 characters";
  const tokens = subject.split(".");
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.length === 0 || /[\s\0]/.test(t)) return "subject has an empty token or white space";
    const wild = t === "*" || t === ">";
    if (wild && !allowWildcards) return "wildcards are allowed only when subscribing";
    if (t === ">" && i !== tokens.length - 1) return "'>' must be the last token";
    if (!wild && (t.includes("*") || t.includes(">"))) return "a wildcard must be a whole token";
  }
  return undefined;
}

function referenceMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    const t = p[i];
    if (t === ">") return s.length > i;
    if (i >= s.length) return false;
    if (t !== "*" && t !== s[i]) return false;
  }
  return p.length === s.length;
}

/** Strings made of the characters that matter to a subject, white space of every kind included. */
const subjectish = fc
  .array(
    fc.constantFrom(
      "a",
      "b",
      "ab",
      ".",
      ".",
      "*",
      ">",
      " ",
      "\t",
      "\0",
      "\u00a0",
      "\u2028",
      "\ufeff",
      "\u0001",
      "é",
    ),
    {
      maxLength: 12,
    },
  )
  .map((parts) => parts.join(""));

function problem(subject: string, allowWildcards: boolean): string | undefined {
  try {
    checkSubject(subject, allowWildcards);
    return undefined;
  } catch (err) {
    assert.equal((err as { code?: string }).code, "E_INVALID");
    return (err as Error).message;
  }
}

describe("subjects, against the split-based reference", () => {
  it("accepts and refuses exactly what the reference does, for the same reason", () => {
    fc.assert(
      fc.property(fc.oneof(subjectish, fc.string({ maxLength: 30 })), fc.boolean(), (s, wild) => {
        assert.equal(problem(s, wild), referenceProblem(s, wild));
      }),
      { numRuns: 20_000 },
    );
  });

  it("matches exactly what the reference matches", () => {
    const token = fc.constantFrom("a", "b", "ab", "", "*", ">");
    const subject = fc.array(token, { minLength: 1, maxLength: 5 }).map((t) => t.join("."));
    fc.assert(
      fc.property(subject, subject, (p, s) => {
        assert.equal(subjectMatches(p, s), referenceMatches(p, s), `${p} ~ ${s}`);
      }),
      { numRuns: 20_000 },
    );
  });
});
