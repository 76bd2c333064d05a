const EMPTY: ReadonlySet<string> = new Set();

/** term → the ids that have it (capabilities, statuses); a term with no ids is dropped. */
export class InvertedIndex {
  #sets = new Map<string, Set<string>>();

  add(term: string, id: string): void {
    const set = this.#sets.get(term);
    if (set) set.add(id);
    else this.#sets.set(term, new Set([id]));
  }

  remove(term: string, id: string): void {
    const set = this.#sets.get(term);
    if (!set) return;
    set.delete(id);
    if (set.size === 0) this.#sets.delete(term);
  }

  /** The ids that have `term` (an empty set if none); read-only to callers. */
  get(term: string): ReadonlySet<string> {
    return this.#sets.get(term) ?? EMPTY;
  }

  /** How many ids have `term`. */
  count(term: string): number {
    return this.#sets.get(term)?.size ?? 0;
  }
}
