/**
 * The subject scheme, part 1: NATS subjects, JetStream stream names and Store keys. This module and
 * `mqtt.ts` are the only places where a subject, topic or key is spelled; everything else calls
 * them. Every id that goes into a subject is checked with `validateId` first, so no caller can
 * inject a separator or a wildcard.
 *
 * Layout: everything addressed to or about one agent lives under `swarm.v1.agents.{agentId}.`
 * (so `swarm.v1.agents.{agentId}.>` is its whole inbox, as `swarm/{agentId}/#` is over MQTT), and
 * everything about one task under `swarm.v1.tasks.{taskId}.`. Fixed words and ids never share a
 * token position, so no id can make one subject read as another.
 *
 * @module
 */
import { checkedId, notOurs, validateId } from "./ids.js";

const ROOT = "swarm.v1";
const AGENTS = `${ROOT}.agents`;
const TASKS = `${ROOT}.tasks`;

/**
 * Concrete NATS subjects, one function per message flow. Each validates its ids.
 *
 * @example
 * ```ts
 * subjects.agentHeartbeat("amr-07");         // "swarm.v1.agents.amr-07.heartbeat"
 * subjects.agentTelemetry("amr-07", "pose"); // "swarm.v1.agents.amr-07.telemetry.pose"
 * subjects.agentHeartbeat("amr.07");         // throws SwarmError E_INVALID (field "agentId")
 * ```
 */
export const subjects = {
  /** Request: an agent registers its AgentDescriptor. */
  agentRegister: (agentId: string) => `${AGENTS}.${validateId("agentId", agentId)}.register`,
  /** Request: an agent leaves the swarm (a Presence naming its epoch), answered with a Presence. */
  agentDeregister: (agentId: string) => `${AGENTS}.${validateId("agentId", agentId)}.deregister`,
  /** Heartbeats of one agent. */
  agentHeartbeat: (agentId: string) => `${AGENTS}.${validateId("agentId", agentId)}.heartbeat`,
  /** Presence changes of one agent, published by the swarm. */
  agentPresence: (agentId: string) => `${AGENTS}.${validateId("agentId", agentId)}.presence`,
  /** One telemetry stream of one agent. */
  agentTelemetry: (agentId: string, stream: string) =>
    `${AGENTS}.${validateId("agentId", agentId)}.telemetry.${validateId("stream", stream)}`,
  /** Request: a command to one agent, answered with a CommandReply. */
  agentCommand: (agentId: string, name: string) =>
    `${AGENTS}.${validateId("agentId", agentId)}.cmd.${validateId("name", name)}`,
  /** Task offers (calls for bids) to one agent. */
  agentTaskOffer: (agentId: string) => `${AGENTS}.${validateId("agentId", agentId)}.tasks.offer`,
  /** Task awards to one agent. */
  agentTaskAward: (agentId: string) => `${AGENTS}.${validateId("agentId", agentId)}.tasks.award`,
  /** Request: several awards to one agent (AwardBatch), to an agent whose descriptor asks for them. */
  agentTaskAwards: (agentId: string) => `${AGENTS}.${validateId("agentId", agentId)}.tasks.awards`,
  /** Cancellations (TaskCancel) of tasks one agent runs, published by the dispatcher. */
  agentTaskCancel: (agentId: string) => `${AGENTS}.${validateId("agentId", agentId)}.tasks.cancel`,
  /** Tasks submitted to the swarm (captured by the `SWARM_TASKS` stream). */
  taskSubmit: () => `${TASKS}.submit`,
  /** Life-cycle events of one task, published by the dispatcher. */
  taskEvents: (taskId: string) => `${TASKS}.${validateId("taskId", taskId)}.events`,
  /** Bids for one task. */
  taskBid: (taskId: string) => `${TASKS}.${validateId("taskId", taskId)}.bid`,
  /** Status reports (TaskResult) from the agent running one task. */
  taskStatus: (taskId: string) => `${TASKS}.${validateId("taskId", taskId)}.status`,
  /** Request: several status reports in one TaskResultBatch, answered by the leader with TaskReportAcks. */
  taskReports: () => `${TASKS}.reports`,
  /** Request: cancel one task (TaskCancel), answered by the leader's dispatcher. */
  taskCancel: (taskId: string) => `${TASKS}.${validateId("taskId", taskId)}.cancel`,
  /** Request: the dispatcher's record of one task (TaskInfo). */
  taskGet: (taskId: string) => `${TASKS}.${validateId("taskId", taskId)}.get`,
  /** Request: a TaskQuery, answered by the leader's dispatcher with a TaskList, newest first. */
  taskList: () => `${TASKS}.list`,
  /** Request: an AgentQuery answered with an AgentList by any swarm node. */
  registryQuery: () => `${ROOT}.registry.query`,
  /** Request: a Command to deliver now or queue until the agent is online; answered with a CommandReceipt. */
  commandSend: () => `${ROOT}.commands.send`,
  /** Receipt changes (CommandReceipt) of one command. */
  commandReceipt: (commandId: string) => `${ROOT}.commands.${validateId("commandId", commandId)}.receipt`,
  /** Request: the current CommandReceipt of one command, answered by any swarm node. */
  commandGet: (commandId: string) => `${ROOT}.commands.${validateId("commandId", commandId)}.get`,
  /** Election state of one group. */
  election: (group: string) => `${ROOT}.election.${validateId("group", group)}`,
  /**
   * Request: whether one candidate of an election is alive, and which term it holds; answered by
   * the candidate itself with an ElectionState (token 0 when it does not lead).
   */
  electionCandidate: (group: string, candidateId: string) =>
    `${ROOT}.election.${validateId("group", group)}.${validateId("candidateId", candidateId)}`,
  /** Durable queue of commands for one agent while it is offline (captured by `SWARM_CMDS`). */
  commandQueue: (agentId: string) => `${ROOT}.cmdq.${validateId("agentId", agentId)}`,
  /** Dead letters of one kind, e.g. "tasks" (captured by `SWARM_DLQ`). */
  deadLetter: (queue: string) => `${ROOT}.dlq.${validateId("queue", queue)}`,
} as const;

/**
 * Subscription patterns (with NATS wildcards). Never publish to these.
 *
 * @example
 * ```ts
 * bus.subscribe(subjectPatterns.heartbeats); // every agent's heartbeats
 * bus.subscribe(subjectPatterns.agentInbox("amr-07")); // everything addressed to amr-07
 * ```
 */
export const subjectPatterns = {
  /** Registrations of every agent. */
  registrations: `${AGENTS}.*.register`,
  /** Deregistrations of every agent. */
  deregistrations: `${AGENTS}.*.deregister`,
  /** Heartbeats of every agent. */
  heartbeats: `${AGENTS}.*.heartbeat`,
  /** Presence changes of every agent. */
  presence: `${AGENTS}.*.presence`,
  /** Task offers, awards and cancels to every agent (a gateway routes them to its devices by id). */
  agentTasks: `${AGENTS}.*.tasks.*`,
  /** Every telemetry stream of every agent. */
  telemetry: `${AGENTS}.*.telemetry.*`,
  /** One telemetry stream (e.g. "pose") of every agent. */
  telemetryStream: (stream: string) => `${AGENTS}.*.telemetry.${validateId("stream", stream)}`,
  /** Every telemetry stream of one agent. */
  agentTelemetry: (agentId: string) => `${AGENTS}.${validateId("agentId", agentId)}.telemetry.*`,
  /** Every command to one agent. */
  agentCommands: (agentId: string) => `${AGENTS}.${validateId("agentId", agentId)}.cmd.*`,
  /** Everything addressed to or about one agent. */
  agentInbox: (agentId: string) => `${AGENTS}.${validateId("agentId", agentId)}.>`,
  /** Events of every task. */
  taskEvents: `${TASKS}.*.events`,
  /** Bids for every task. */
  taskBids: `${TASKS}.*.bid`,
  /** Status reports for every task. */
  taskStatus: `${TASKS}.*.status`,
  /** Cancel requests of every task (served by the leader's dispatcher). */
  taskCancels: `${TASKS}.*.cancel`,
  /** Get requests of every task (served by the leader's dispatcher). */
  taskGets: `${TASKS}.*.get`,
  /** Everything about one task. */
  task: (taskId: string) => `${TASKS}.${validateId("taskId", taskId)}.>`,
  /** Election state of every group. */
  elections: `${ROOT}.election.*`,
  /** Receipt requests of every command (served by the swarm nodes' command routers). */
  commandGets: `${ROOT}.commands.*.get`,
} as const;

/** A JetStream stream: its name and the subjects it captures. */
export interface StreamSpec {
  readonly name: string;
  readonly subjects: readonly string[];
}

/** The JetStream streams Swarmlink uses, by role. */
export const STREAMS = {
  /** Submitted tasks, consumed by the leader's dispatcher. */
  tasks: { name: "SWARM_TASKS", subjects: [`${TASKS}.submit`] },
  /** Commands waiting for offline agents, until their TTL. */
  commands: { name: "SWARM_CMDS", subjects: [`${ROOT}.cmdq.*`] },
  /** Dead letters: tasks out of attempts, undeliverable commands. */
  deadLetters: { name: "SWARM_DLQ", subjects: [`${ROOT}.dlq.*`] },
} as const satisfies Record<string, StreamSpec>;

/** Prefixes of Store keys by what they hold; watch a prefix to follow one kind. */
export const KV_PREFIXES = {
  agents: "agents.",
  leases: "leases.",
  elections: "elections.",
  tasks: "tasks.",
  idempotency: "idempotency.",
  commands: "commands.",
  commandQueues: "cmdqueues.",
} as const;

/**
 * Store keys. Each validates its id, so a key has exactly one `.`, after the prefix.
 *
 * @example
 * ```ts
 * await store.put(kvKeys.agent("amr-07"), bytes, { ttlMs: 15_000 }); // "agents.amr-07"
 * ```
 */
export const kvKeys = {
  /** Registry entry (AgentInfo: descriptor and presence) of one agent. */
  agent: (agentId: string) => KV_PREFIXES.agents + validateId("agentId", agentId),
  /** A named lease. */
  lease: (name: string) => KV_PREFIXES.leases + validateId("lease", name),
  /** Election state (ElectionState) of one group. */
  election: (group: string) => KV_PREFIXES.elections + validateId("group", group),
  /** State of one task. */
  task: (taskId: string) => KV_PREFIXES.tasks + validateId("taskId", taskId),
  /** Receipt (CommandReceipt) of one command. */
  command: (commandId: string) => KV_PREFIXES.commands + validateId("commandId", commandId),
  /** Index of the commands queued for one agent and not yet settled (deadlines, names). */
  commandQueue: (agentId: string) => KV_PREFIXES.commandQueues + validateId("agentId", agentId),
  /** The task first submitted with an idempotency key. */
  idempotency: (key: string) => KV_PREFIXES.idempotency + validateId("idempotencyKey", key),
} as const;

/** What a Store key refers to. */
export type KvKeyRoute = { kind: keyof typeof KV_PREFIXES; id: string };

/**
 * Reads a Store key made by {@link kvKeys}.
 * @throws SwarmError `E_INVALID` for any other string.
 */
export function parseKvKey(key: string): KvKeyRoute {
  for (const [kind, prefix] of Object.entries(KV_PREFIXES) as [keyof typeof KV_PREFIXES, string][]) {
    if (typeof key === "string" && key.startsWith(prefix)) {
      return { kind, id: checkedId(key, "key", "id", key.slice(prefix.length)) };
    }
  }
  throw notOurs("key", key);
}

/** What a NATS subject made by {@link subjects} refers to. */
export type SubjectRoute =
  | { kind: "agentRegister" | "agentDeregister" | "agentHeartbeat" | "agentPresence"; agentId: string }
  | {
      kind: "agentTaskOffer" | "agentTaskAward" | "agentTaskAwards" | "agentTaskCancel" | "commandQueue";
      agentId: string;
    }
  | { kind: "agentTelemetry"; agentId: string; stream: string }
  | { kind: "agentCommand"; agentId: string; name: string }
  | { kind: "taskSubmit" | "taskList" | "taskReports" | "registryQuery" | "commandSend" }
  | { kind: "taskEvents" | "taskBid" | "taskStatus" | "taskCancel" | "taskGet"; taskId: string }
  | { kind: "commandReceipt" | "commandGet"; commandId: string }
  | { kind: "election"; group: string }
  | { kind: "electionCandidate"; group: string; candidateId: string }
  | { kind: "deadLetter"; queue: string };

const AGENT_LEAVES = {
  register: "agentRegister",
  deregister: "agentDeregister",
  heartbeat: "agentHeartbeat",
  presence: "agentPresence",
} as const;
const AGENT_TASK_LEAVES = {
  offer: "agentTaskOffer",
  award: "agentTaskAward",
  awards: "agentTaskAwards",
  cancel: "agentTaskCancel",
} as const;
const TASK_LEAVES = {
  events: "taskEvents",
  bid: "taskBid",
  status: "taskStatus",
  cancel: "taskCancel",
  get: "taskGet",
} as const;

/**
 * Reads a subject made by {@link subjects} back into its parts, e.g. to learn which agent a
 * message received on a wildcard subscription came from.
 *
 * @throws SwarmError `E_INVALID` when the subject is not one of Swarmlink's, or an id in it is
 * malformed.
 *
 * @example
 * ```ts
 * parseSubject("swarm.v1.agents.amr-07.telemetry.pose");
 * // { kind: "agentTelemetry", agentId: "amr-07", stream: "pose" }
 * ```
 */
export function parseSubject(subject: string): SubjectRoute {
  if (typeof subject !== "string" || subject.length > 1024 || !subject.startsWith(`${ROOT}.`)) {
    throw notOurs("subject", subject);
  }
  const t = subject.slice(ROOT.length + 1).split(".");
  const id = (field: string, token: string | undefined) => checkedId(subject, "subject", field, token);
  const [area, a, b, c] = t;
  if (area === "agents" && t.length === 3 && Object.hasOwn(AGENT_LEAVES, b!)) {
    return { kind: AGENT_LEAVES[b as keyof typeof AGENT_LEAVES], agentId: id("agentId", a) };
  }
  if (area === "agents" && t.length === 4 && b === "telemetry") {
    return { kind: "agentTelemetry", agentId: id("agentId", a), stream: id("stream", c) };
  }
  if (area === "agents" && t.length === 4 && b === "cmd") {
    return { kind: "agentCommand", agentId: id("agentId", a), name: id("name", c) };
  }
  if (area === "agents" && t.length === 4 && b === "tasks" && Object.hasOwn(AGENT_TASK_LEAVES, c!)) {
    return { kind: AGENT_TASK_LEAVES[c as keyof typeof AGENT_TASK_LEAVES], agentId: id("agentId", a) };
  }
  if (area === "tasks" && t.length === 2 && a === "submit") return { kind: "taskSubmit" };
  if (area === "tasks" && t.length === 2 && a === "list") return { kind: "taskList" };
  if (area === "tasks" && t.length === 2 && a === "reports") return { kind: "taskReports" };
  if (area === "registry" && t.length === 2 && a === "query") return { kind: "registryQuery" };
  if (area === "commands" && t.length === 2 && a === "send") return { kind: "commandSend" };
  if (area === "commands" && t.length === 3 && (b === "receipt" || b === "get")) {
    return { kind: b === "get" ? "commandGet" : "commandReceipt", commandId: id("commandId", a) };
  }
  if (area === "tasks" && t.length === 3 && Object.hasOwn(TASK_LEAVES, b!)) {
    return { kind: TASK_LEAVES[b as keyof typeof TASK_LEAVES], taskId: id("taskId", a) };
  }
  if (area === "election" && t.length === 2) return { kind: "election", group: id("group", a) };
  if (area === "election" && t.length === 3) {
    return { kind: "electionCandidate", group: id("group", a), candidateId: id("candidateId", b) };
  }
  if (area === "cmdq" && t.length === 2) return { kind: "commandQueue", agentId: id("agentId", a) };
  if (area === "dlq" && t.length === 2) return { kind: "deadLetter", queue: id("queue", a) };
  throw notOurs("subject", subject);
}
