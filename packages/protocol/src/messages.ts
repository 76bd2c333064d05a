/**
 * Short names for the generated swarmlink.v1 messages and enums, so that callers write
 * `Heartbeat` rather than `swarmlink.v1.Heartbeat`. The generated namespace stays available as
 * `swarmlink` for everything else (`swarmlink.v1.Heartbeat.create`, `$Properties`, ...).
 *
 * @module
 */
import { swarmlink } from "./gen/swarmlink.js";

const v1 = swarmlink.v1;

/** What sort of member an agent is (`AGENT_KIND_ROBOT`, `AGENT_KIND_BOT`, ...). */
export const AgentKind = v1.AgentKind;
/** What sort of member an agent is. */
export type AgentKind = swarmlink.v1.AgentKind;
/** Liveness of an agent: `PRESENCE_STATUS_ONLINE`, `_SUSPECT`, `_OFFLINE`. */
export const PresenceStatus = v1.PresenceStatus;
/** Liveness of an agent. */
export type PresenceStatus = swarmlink.v1.PresenceStatus;
/** Coarse state an agent reports in telemetry (`AGENT_STATE_IDLE`, `_BUSY`, `_CHARGING`, ...). */
export const AgentState = v1.AgentState;
/** Coarse state an agent reports in telemetry. */
export type AgentState = swarmlink.v1.AgentState;
/** How a command ended (`COMMAND_STATUS_OK`, `_ERROR`, `_REJECTED`, `_TIMEOUT`, `_UNKNOWN_COMMAND`). */
export const CommandStatus = v1.CommandStatus;
/** How a command ended. */
export type CommandStatus = swarmlink.v1.CommandStatus;
/** How the dispatcher allocates a task (`TASK_STRATEGY_QUEUE`, `_AUCTION`, `_DIRECT`). */
export const TaskStrategy = v1.TaskStrategy;
/** How the dispatcher allocates a task. */
export type TaskStrategy = swarmlink.v1.TaskStrategy;
/** Where a task is in its life (`TASK_STATE_ACCEPTED` ... `TASK_STATE_DEAD_LETTERED`). */
export const TaskState = v1.TaskState;
/** Where a task is in its life. */
export type TaskState = swarmlink.v1.TaskState;
/** Where a command is on its way to an agent (`COMMAND_RECEIPT_STATE_QUEUED` ... `_EXPIRED`). */
export const CommandReceiptState = v1.CommandReceiptState;
/** Where a command is on its way to an agent. */
export type CommandReceiptState = swarmlink.v1.CommandReceiptState;

/** What an agent tells the swarm about itself. */
export type AgentDescriptor = swarmlink.v1.AgentDescriptor;
/** A live agent's periodic heartbeat. */
export type Heartbeat = swarmlink.v1.Heartbeat;
/** A change of an agent's liveness. */
export type Presence = swarmlink.v1.Presence;
/** One sample of one telemetry stream. */
export type Telemetry = swarmlink.v1.Telemetry;
/** A request to one agent. */
export type Command = swarmlink.v1.Command;
/** The answer to a Command. */
export type CommandReply = swarmlink.v1.CommandReply;
/** A unit of work. */
export type Task = swarmlink.v1.Task;
/** A call for bids. */
export type TaskOffer = swarmlink.v1.TaskOffer;
/** An agent's bid for a task. */
export type Bid = swarmlink.v1.Bid;
/** A coordinator's award of a task, stamped with its fencing token. */
export type Award = swarmlink.v1.Award;
/** A report on a task. */
export type TaskResult = swarmlink.v1.TaskResult;
/** Several awards to one agent in one request. */
export type AwardBatch = swarmlink.v1.AwardBatch;
/** Several reports in one message (an AwardBatch's answers, an agent's batched reports). */
export type TaskResultBatch = swarmlink.v1.TaskResultBatch;
/** The dispatcher's answer to one report of a batch. */
export type TaskReportAck = swarmlink.v1.TaskReportAck;
/** The dispatcher's answer to a TaskResultBatch of reports. */
export type TaskReportAcks = swarmlink.v1.TaskReportAcks;
/** Who leads an election group, under which token. */
export type ElectionState = swarmlink.v1.ElectionState;
/** The `swarmlink.v1.Error` message, renamed here so that it never shadows the global `Error`. */
export type ErrorPayload = swarmlink.v1.Error;
export type AgentQuery = swarmlink.v1.AgentQuery;
export type AgentInfo = swarmlink.v1.AgentInfo;
export type AgentList = swarmlink.v1.AgentList;
export type TaskInfo = swarmlink.v1.TaskInfo;
export type TaskCancel = swarmlink.v1.TaskCancel;
/** Asks the dispatcher for the tasks in some states. */
export type TaskQuery = swarmlink.v1.TaskQuery;
/** The dispatcher's answer to a TaskQuery. */
export type TaskList = swarmlink.v1.TaskList;
export type CommandReceipt = swarmlink.v1.CommandReceipt;
/** A point or a geographic position. */
export type Position = swarmlink.v1.Position;
/** A point in a local Cartesian frame, in metres. */
export type CartesianPoint = swarmlink.v1.CartesianPoint;
/** A WGS 84 position. */
export type GeoPoint = swarmlink.v1.GeoPoint;
/** Position, orientation and speed. */
export type Pose = swarmlink.v1.Pose;
/** A unit quaternion. */
export type Quaternion = swarmlink.v1.Quaternion;
/** Battery state. */
export type Battery = swarmlink.v1.Battery;
/** Coarse agent state with a note. */
export type AgentStatus = swarmlink.v1.AgentStatus;
/** Free-form string readings. */
export type KeyValues = swarmlink.v1.KeyValues;
