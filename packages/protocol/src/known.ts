/**
 * Strings already found valid, in two generations: a hit in the older one moves the string to the
 * newer, and a full newer generation becomes the older, so strings checked again and again (an
 * agent's id in its every heartbeat, a subject published to all day) stay known while the many
 * used once (a task's id, a request's inbox) pass through without clearing them out. Validity is
 * a function of the string alone, so remembering it is safe; the bound keeps hostile input from
 * growing it.
 * @internal
 */
export class KnownStrings {
  #limit: number;
  #recent = new Set<string>();
  #older = new Set<string>();

  constructor(limit: number) {
    this.#limit = limit;
  }

  has(s: string): boolean {
    if (this.#recent.has(s)) return true;
    if (!this.#older.has(s)) return false;
    this.add(s);
    return true;
  }

  add(s: string): void {
    if (this.#recent.size >= this.#limit) {
      this.#older = this.#recent;
      this.#recent = new Set();
    }
    this.#recent.add(s);
  }
}
