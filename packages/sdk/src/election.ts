import type { Leadership, LeadershipState } from "@swarmlink/core";

/** An agent's handle on one election: read `isLeader` / `token` before acting as leader. */
export interface AgentLeadership {
  readonly group: string;
  /** Re-checked against the local clock on every read. */
  readonly isLeader: boolean;
  /** The fencing token of this agent's current term, when it leads. */
  readonly token: number | undefined;
  state(): LeadershipState;
  /** Calls `listener` on every change of holder, token or isLeader; returns the unsubscribe. */
  onChange(listener: (s: LeadershipState) => void): () => void;
  /** Resolves with the token once this agent leads. */
  waitForLeadership(opts?: { signal?: AbortSignal }): Promise<number>;
  /** Gives up leadership (if held) and stops campaigning. */
  resign(): Promise<void>;
}

/** The SDK's view of a core Leadership (the same object's members, without `close`, which the agent owns). */
export function leadershipHandle(l: Leadership): AgentLeadership {
  return {
    group: l.group,
    get isLeader() {
      return l.isLeader;
    },
    get token() {
      return l.token;
    },
    state: () => l.state(),
    onChange: (listener) => l.onChange(listener),
    waitForLeadership: (opts) => l.waitForLeadership(opts),
    resign: () => l.resign(),
  };
}
