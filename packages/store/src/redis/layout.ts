/** The Redis keys of one store namespace; `{ns}` is a hash tag, so they share a Cluster slot. */
export class Layout {
  readonly rev: string;
  readonly changes: string;
  readonly index: string;
  readonly leases: string;
  /** Prefix of the per-key value HASHes. */
  readonly valuePrefix: string;

  constructor(namespace: string) {
    const ns = `{${namespace}}`;
    this.rev = `${ns}:rev`;
    this.changes = `${ns}:changes`;
    this.index = `${ns}:index`;
    this.leases = `${ns}:leases`;
    this.valuePrefix = `${ns}:v:`;
  }

  /**
   * The change stream a watch of `prefix` reads: a key's first segment has a stream of its own
   * (`{ns}:changes:agents`), so a watch of `agents.` does not read every task write; `""` reads
   * the whole store's.
   */
  changesOf(prefix: string): string {
    const dot = prefix.indexOf(".");
    return dot < 0 ? this.changes : `${this.changes}:${prefix.slice(0, dot)}`;
  }

  /** KEYS 1–4 of every script. */
  get shared(): string[] {
    return [this.rev, this.changes, this.index, this.leases];
  }

  /** KEYS 1–5 for a script on `key`. */
  forKey(key: string): string[] {
    return [this.rev, this.changes, this.index, this.leases, this.valuePrefix + key];
  }
}
