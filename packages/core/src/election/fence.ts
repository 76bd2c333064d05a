import { SwarmError, validateId } from "@swarmlink/protocol";

/**
 * The receiving side of fencing: remembers the highest fencing token seen per election group and
 * refuses anything stamped with a lower one. An agent runs every award through `check` before it
 * acts, so a deposed coordinator that wakes up and sends an award with its old token is refused
 * once the agent has heard from the new one.
 *
 * Equal tokens pass: they are the same term. Memory grows with the number of groups, which is small
 * (one per election), never with the number of messages.
 *
 * @example
 * ```ts
 * const fence = new TokenFence();
 * fence.check("dispatcher", award.fencingToken); // throws SwarmError E_FENCED if older than seen
 * ```
 */
export class TokenFence {
  #highest = new Map<string, number>();

  /**
   * Accepts `token` for `group` if it is at least the highest seen, and raises the bar to it.
   *
   * @throws SwarmError `E_FENCED` (context `{ group, token, highest }`) for an older token;
   * `E_INVALID` for a group that is not an id or a token that is not a whole number ≥ 1.
   */
  check(group: string, token: number): void {
    validateId("group", group);
    checkToken(token);
    const highest = this.#highest.get(group) ?? 0;
    if (token < highest) {
      throw new SwarmError("E_FENCED", `token ${token} of ${group} is older than ${highest}`, {
        group,
        token,
        highest,
      });
    }
    this.#highest.set(group, token);
  }

  /** Raises the bar for `group` to `token` (if higher) without checking anything: e.g. on a leader change. */
  observe(group: string, token: number): void {
    validateId("group", group);
    checkToken(token);
    if (token > (this.#highest.get(group) ?? 0)) this.#highest.set(group, token);
  }

  /** The highest token seen for `group`, if any. */
  highest(group: string): number | undefined {
    return this.#highest.get(group);
  }
}

function checkToken(token: unknown): void {
  if (typeof token !== "number" || !Number.isSafeInteger(token) || token < 1) {
    throw new SwarmError("E_INVALID", "a fencing token is a whole number ≥ 1", { field: "token", token });
  }
}
