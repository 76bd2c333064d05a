/** The version of an agent's presence: its session epoch, then the change's sequence in it. */
export interface PresenceVersion {
  epoch: number;
  seq: number;
}

/**
 * Orders two presence versions: epoch first, then seq. Negative when `a` is older, 0 when equal.
 *
 * @example
 * ```ts
 * comparePresence({ epoch: 2, seq: 0 }, { epoch: 1, seq: 9 }); // > 0: a new session wins
 * ```
 */
export function comparePresence(a: PresenceVersion, b: PresenceVersion): number {
  return a.epoch !== b.epoch ? a.epoch - b.epoch : a.seq - b.seq;
}

/**
 * The ordering rule every consumer of presence applies (the registry's index, the SDK, the CLI):
 * an event changes what you hold only if it is strictly newer; nothing held means anything applies.
 * An event of an older epoch never overrides a newer one, whatever order they arrive in.
 *
 * @example
 * ```ts
 * if (isNewerPresence(event, held.get(event.agentId))) held.set(event.agentId, event);
 * ```
 */
export function isNewerPresence(event: PresenceVersion, held: PresenceVersion | undefined): boolean {
  return held === undefined || comparePresence(event, held) > 0;
}
