/**
 * @swarmlink/protocol: the canonical Swarmlink protocol. Generated swarmlink.v1 messages, the
 * Envelope codec, payload encoding by type name, the subject scheme (the only place a NATS subject,
 * MQTT topic or Store key is spelled), ULIDs, typed errors and the injectable Clock.
 *
 * @module
 */

export { AGENT_KIND_NAMES, agentKindOf } from "./agent-kinds.js";
export type { Clock, TimerHandle } from "./clock.js";
export { SimulatedClock, systemClock } from "./clock.js";
export type { CreateEnvelopeOptions, Envelope, EnvelopeCodecOptions, EnvelopeInit } from "./envelope.js";
export {
  CONTENT_TYPE_PROTOBUF,
  createEnvelope,
  decodeEnvelope,
  encodeEnvelope,
  isExpired,
} from "./envelope.js";
export { validateEnvelope } from "./envelope-check.js";
export type { EnvelopeEncoder, EnvelopeEncoderOptions } from "./envelope-encoder.js";
export { envelopeEncoder } from "./envelope-encoder.js";
export type { ErrorCode, ErrorContext } from "./errors.js";
export { abortError, ERROR_CODES, isSwarmError, SwarmError, toSwarmError } from "./errors.js";
export { swarmlink } from "./gen/swarmlink.js";
export { isValidId, validateId } from "./ids.js";
export {
  DEFAULT_MAX_ENVELOPE_BYTES,
  DEFAULT_MAX_PAYLOAD_BYTES,
  MAX_ID_BYTES,
  MAX_PRIORITY,
  MAX_SHORT_TEXT_BYTES,
  MAX_SUBJECT_BYTES,
  MAX_TRACESTATE_BYTES,
  MAX_TYPE_NAME_BYTES,
} from "./limits.js";
export type {
  AgentDescriptor,
  AgentInfo,
  AgentList,
  AgentQuery,
  AgentStatus,
  Award,
  AwardBatch,
  Battery,
  Bid,
  CartesianPoint,
  Command,
  CommandReceipt,
  CommandReply,
  ElectionState,
  ErrorPayload,
  GeoPoint,
  Heartbeat,
  KeyValues,
  Pose,
  Position,
  Presence,
  Quaternion,
  Task,
  TaskCancel,
  TaskInfo,
  TaskList,
  TaskOffer,
  TaskQuery,
  TaskReportAck,
  TaskReportAcks,
  TaskResult,
  TaskResultBatch,
  Telemetry,
} from "./messages.js";
export {
  AgentKind,
  AgentState,
  CommandReceiptState,
  CommandStatus,
  PresenceStatus,
  TaskState,
  TaskStrategy,
} from "./messages.js";
export type { MqttRoute } from "./mqtt.js";
export { mqttFilters, mqttTopics, parseMqttTopic } from "./mqtt.js";
export type {
  DecodePayloadOptions,
  Payload,
  PayloadInit,
  PayloadMap,
  PayloadType,
  TypedPayload,
} from "./payloads.js";
export { decodePayload, encodePayload, isPayloadType, PAYLOAD_TYPES } from "./payloads.js";
export type { KvKeyRoute, StreamSpec, SubjectRoute } from "./subjects.js";
export {
  KV_PREFIXES,
  kvKeys,
  parseKvKey,
  parseSubject,
  STREAMS,
  subjectPatterns,
  subjects,
} from "./subjects.js";
export type { UlidFactory, UlidOptions } from "./ulid.js";
export { isUlid, monotonicUlid, ulid, ulidTimeMs } from "./ulid.js";
/** @internal Protobuf writing by hand, for the core's task record (see wire-writer.ts). */
export {
  bytesFieldSize,
  isWireWhole,
  stringFieldSize,
  utf8Length,
  varintFieldSize,
  varintSize,
  writeBytes,
  writeString,
  writeUtf8,
  writeVarint,
  writeVarintField,
} from "./wire-writer.js";
export type { EnvelopeMeta } from "./wrap.js";
export { unwrap, unwrapAs, wrap } from "./wrap.js";
