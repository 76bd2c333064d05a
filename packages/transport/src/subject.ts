import { SwarmError } from "@swarmlink/protocol";

/** NATS's own limit on a subject is generous; a bound keeps one bad subject from costing much. */
export const MAX_SUBJECT_LENGTH = 1024;

const DOT = 0x2e;
const STAR = 0x2a;
const GT = 0x3e;

/**
 * Subjects that are not plain (wildcards, other characters) already found valid, per mode, in two
 * generations: a hit in the older one moves the subject to the newer, and a full newer generation
 * becomes the older, so subjects used again and again stay known while the many used once pass
 * through without clearing them out.
 */
class KnownSubjects {
  #recent = new Set<string>();
  #older = new Set<string>();

  has(subject: string): boolean {
    if (this.#recent.has(subject)) return true;
    if (!this.#older.has(subject)) return false;
    this.add(subject);
    return true;
  }

  add(subject: string): void {
    if (this.#recent.size >= MAX_KNOWN) {
      this.#older = this.#recent;
      this.#recent = new Set();
    }
    this.#recent.add(subject);
  }
}

const MAX_KNOWN = 4096;
const known = [new KnownSubjects(), new KnownSubjects()];
/** Tokens of letters, digits, `_`, `-`, `$` and `:`: most subjects, checked by one regex. */
const PLAIN = /^[\w$:-]+(?:\.[\w$:-]+)*$/;

/** Throws E_INVALID unless `subject` is a well-formed subject; wildcards only where allowed. */
export function checkSubject(subject: string, allowWildcards: boolean): void {
  if (typeof subject !== "string" || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) {
    throw new SwarmError("E_INVALID", "subject must be 1 to 1024 characters", { subject });
  }
  // The regex first: most subjects are plain, and many are used once (a task's events), for which
  // a lookup in the cache costs more than the regex.
  if (PLAIN.test(subject)) return;
  const cache = known[allowWildcards ? 1 : 0]!;
  if (cache.has(subject)) return;
  checkTokens(subject, allowWildcards);
  cache.add(subject);
}

/** The token-by-token check, for a subject with wildcards or characters beyond the plain ones. */
function checkTokens(subject: string, allowWildcards: boolean): void {
  const n = subject.length;
  for (let start = 0; ; ) {
    let end = subject.indexOf(".", start);
    if (end === -1) end = n;
    checkToken(subject, start, end, allowWildcards);
    if (end === n) return;
    start = end + 1;
  }
}

function checkToken(subject: string, start: number, end: number, allowWildcards: boolean): void {
  let wildChars = false;
  for (let i = start; i < end; i++) {
    const c = subject.charCodeAt(i);
    if (isSpace(c))
      throw new SwarmError("E_INVALID", "subject has an empty token or white space", { subject });
    if (c === STAR || c === GT) wildChars = true;
  }
  if (end === start)
    throw new SwarmError("E_INVALID", "subject has an empty token or white space", { subject });
  if (!wildChars) return;
  if (end - start !== 1) {
    throw new SwarmError("E_INVALID", "a wildcard must be a whole token", { subject });
  }
  if (!allowWildcards) {
    throw new SwarmError("E_INVALID", "wildcards are allowed only when subscribing", { subject });
  }
  if (subject.charCodeAt(start) === GT && end !== subject.length) {
    throw new SwarmError("E_INVALID", "'>' must be the last token", { subject });
  }
}

/** NUL or what `\s` matches in a JS regular expression (white space and line terminators). */
function isSpace(c: number): boolean {
  if (c < 0xa0) return c === 0x20 || (c >= 0x09 && c <= 0x0d) || c === 0;
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
}

/**
 * NATS matching: `*` matches one token, `>` one or more trailing tokens. Walks both strings once,
 * character by character, without splitting them.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  if (pattern === subject) return true;
  const pn = pattern.length;
  const sn = subject.length;
  for (let i = 0, j = 0; ; i++, j++) {
    // Here both are at the start of a token (the subject's may be empty).
    const c = pattern.charCodeAt(i);
    const whole = i + 1 === pn || pattern.charCodeAt(i + 1) === DOT;
    if (whole && c === GT) return true;
    if (whole && c === STAR) {
      i++;
      while (j < sn && subject.charCodeAt(j) !== DOT) j++;
    } else {
      while (i < pn && j < sn) {
        const pc = pattern.charCodeAt(i);
        if (pc !== subject.charCodeAt(j) || pc === DOT) break;
        i++;
        j++;
      }
      const patternTokenEnds = i === pn || pattern.charCodeAt(i) === DOT;
      const subjectTokenEnds = j === sn || subject.charCodeAt(j) === DOT;
      if (!patternTokenEnds || !subjectTokenEnds) return false;
    }
    // Here both are at the end of a token.
    if (i === pn || j === sn) return i === pn && j === sn;
  }
}

/** True when `pattern` has a wildcard token (a checked subject has `*` and `>` only as whole tokens). */
export function hasWildcard(pattern: string): boolean {
  return pattern.includes("*") || pattern.includes(">");
}
