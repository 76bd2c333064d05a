/**
 * The seams between the parts of the swarm node. Each part (registry, elections, dispatcher,
 * commands) is built against these, so that it can be tested alone and wired by SwarmNode.
 */

/** Where an agent is: a point in the site's frame, in metres. Geo positions are projected first. */
export interface Point {
  x: number;
  y: number;
  z?: number;
}

export type PresenceState = "online" | "suspect" | "offline";

/** What the swarm knows of one agent: its descriptor and its presence. */
export interface AgentRecord {
  id: string;
  kind: string;
  capabilities: string[];
  attributes: Record<string, string>;
  position: Point | undefined;
  /** Most tasks it runs at once. */
  credits: number;
  /** It takes several awards in one AwardBatch request (its descriptor's `awardBatches`). */
  awardBatches: boolean;
  softwareVersion: string;
  status: PresenceState;
  /** Grows with every (re)registration: a new session. */
  epoch: number;
  /** Grows with every presence change inside an epoch. */
  seq: number;
  registeredAtMs: number;
  lastSeenMs: number;
}

/** A change of an agent's presence; apply it only if (epoch, seq) is newer than what you hold. */
export interface PresenceEvent {
  agentId: string;
  status: PresenceState;
  epoch: number;
  seq: number;
  reason: string;
  atMs: number;
}

/** Filters of `AgentDirectory.query`; all given filters must hold. */
export interface AgentQuery {
  /** The agent has every one of these. */
  capabilities?: string[];
  /** Exact attribute values. */
  attributes?: Record<string, string>;
  status?: PresenceState | PresenceState[];
  /** Within `radius` metres of a point. */
  near?: Point & { radius: number };
  /** Inside an axis-aligned box. */
  box?: { minX: number; minY: number; maxX: number; maxY: number };
  /** The k nearest to a point (after the other filters), nearest first. */
  nearest?: Point & { k: number };
  limit?: number;
}

/** The registry's in-memory index, kept current by watching the Store. */
export interface AgentDirectory {
  get(id: string): AgentRecord | undefined;
  query(q: AgentQuery): AgentRecord[];
  /** Presence changes as they happen. */
  onPresence(listener: (e: PresenceEvent) => void): () => void;
  readonly size: number;
  /**
   * Grows whenever an answer of `query` could change: an agent added or removed, its presence,
   * descriptor or position changed. Heartbeats, which change only `lastSeenMs` (and an index's
   * `inFlight`), need not count. While it holds, a query names the same agents in the same order
   * with the same descriptors, so a caller may keep the answer.
   */
  readonly generation: number;
  /**
   * Like `generation`, but positions do not count either: it grows when an agent is added or
   * removed, or its presence or descriptor changes. While it holds, a query without a position
   * filter (`near`, `box`, `nearest`) names the same agents with the same descriptors, though they
   * may have moved: a caller that keeps such an answer reads positions from `get`. Robots report
   * poses many times a second, and a fleet's positions keep `generation` moving all the time.
   * Optional: a directory without it is taken at `generation`.
   */
  readonly rosterGeneration?: number;
}

/** What one candidate knows about a group's leadership. */
export interface LeadershipState {
  group: string;
  /** Current holder, if any is known. */
  holder: string | undefined;
  /** Fencing token of the current term; grows with every new term. */
  token: number | undefined;
  sinceMs: number | undefined;
  /** Whether this candidate leads (and its lease is still valid by its own clock). */
  isLeader: boolean;
}

/**
 * One candidate's handle on an election. `isLeader` is checked against the local clock on every
 * read: a process that was paused past its lease finds out before it acts.
 */
export interface Leadership {
  readonly group: string;
  readonly candidateId: string;
  readonly isLeader: boolean;
  /** The fencing token of this candidate's current term, when it leads. */
  readonly token: number | undefined;
  state(): LeadershipState;
  /** The token if this candidate leads now; E_FENCED otherwise. */
  assertLeader(): number;
  onChange(listener: (s: LeadershipState) => void): () => void;
  /** Resolves with the token once this candidate leads. */
  waitForLeadership(opts?: { signal?: AbortSignal }): Promise<number>;
  /** Gives up leadership (if held) and stops campaigning. */
  resign(): Promise<void>;
  close(): Promise<void>;
}
