import { SwarmError } from "@swarmlink/protocol";

/** NATS's own limit on a subject is generous; a bound keeps one bad subject from costing much. */
export const MAX_SUBJECT_LENGTH = 1024;

/** Subjects already found valid, per mode: publishing repeats a few subjects millions of times. */
const known = [new Set<string>(), new Set<string>()];
const MAX_KNOWN = 4096;

/** Throws E_INVALID unless `subject` is a well-formed subject; wildcards only where allowed. */
export function checkSubject(subject: string, allowWildcards: boolean): void {
  const cache = known[allowWildcards ? 1 : 0]!;
  if (cache.has(subject)) return;
  validate(subject, allowWildcards);
  if (cache.size >= MAX_KNOWN) cache.clear();
  cache.add(subject);
}

function validate(subject: string, allowWildcards: boolean): void {
  if (typeof subject !== "string" || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) {
    throw new SwarmError("E_INVALID", "subject must be 1 to 1024 characters", { subject });
  }
  const tokens = subject.split(".");
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t.length === 0 || /[\s\0]/.test(t)) {
      throw new SwarmError("E_INVALID", "subject has an empty token or white space", { subject });
    }
    const wild = t === "*" || t === ">";
    if (wild && !allowWildcards) {
      throw new SwarmError("E_INVALID", "wildcards are allowed only when subscribing", { subject });
    }
    if (t === ">" && i !== tokens.length - 1) {
      throw new SwarmError("E_INVALID", "'>' must be the last token", { subject });
    }
    if (!wild && (t.includes("*") || t.includes(">"))) {
      throw new SwarmError("E_INVALID", "a wildcard must be a whole token", { subject });
    }
  }
}

/** NATS matching: `*` matches one token, `>` one or more trailing tokens. */
export function subjectMatches(pattern: string, subject: string): boolean {
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
