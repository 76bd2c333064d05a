/**
 * The `reason` of each Presence the registry publishes. Consumers may show them; only
 * `reregister` asks for an action (the agent named registers again).
 */
export const PRESENCE_REASONS = {
  /** A new session opened (epoch + 1, ONLINE). */
  registered: "registered",
  /** The agent left (OFFLINE); a deregistration may give its own reason, e.g. "mqtt will". */
  deregistered: "deregistered",
  /** ONLINE → SUSPECT: no heartbeat for `suspectAfterMs`. */
  overdue: "heartbeat overdue",
  /** SUSPECT → OFFLINE: no heartbeat for `offlineAfterMs`. */
  expired: "lease expired",
  /** SUSPECT → ONLINE: a heartbeat of the current epoch arrived. */
  resumed: "heartbeat resumed",
  /**
   * Not a change of state: the registry heard a heartbeat from an agent it does not hold as live
   * (unknown, offline, or an epoch it never granted) and asks it to register again. It carries the
   * record's (epoch, seq), or (0, 0) for an unknown agent, so the ordering rule never applies it.
   */
  reregister: "re-register",
} as const;

/** True when a Presence asks its agent to register again (see `PRESENCE_REASONS.reregister`). */
export function isReregisterRequest(p: { reason?: string | null }): boolean {
  return p.reason === PRESENCE_REASONS.reregister;
}
