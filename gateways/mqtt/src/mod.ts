/**
 * @swarmlink/gateway-mqtt: robot firmware speaking plain MQTT becomes a swarm member. Listener mode
 * (`MqttGateway`, an aedes broker); topics and payloads in the README's table.
 *
 * @module
 */

export { CONNACK } from "./acl.js";
export type { BridgeStats, MqttBridgeOptions, ParsedBridgeOptions } from "./bridge/mod.js";
export {
  DEFAULT_BRIDGE_CONNECT_TIMEOUT_MS,
  DEFAULT_BRIDGE_RECONNECT_MS,
  MqttBridge,
  parseBridgeOptions,
} from "./bridge/mod.js";
export type { BidInit, DeviceCodec, ReplyInit, StatusInit } from "./codec/device-codec.js";
export { jsonCodec } from "./codec/device-codec.js";
export type { DescriptorJson, PositionInit, TelemetryInit } from "./codec/inbound.js";
export {
  bidFromJson,
  descriptorFromJson,
  positionFromJson,
  presenceFromJson,
  replyFromJson,
  STATUS_STATES,
  statusFromJson,
  telemetryFromJson,
} from "./codec/inbound.js";
export { awardToJson, cancelToJson, commandToJson, offerToJson, taskToJson } from "./codec/outbound.js";
export { protobufCodec } from "./codec/protobuf.js";
export { MqttGateway } from "./gateway.js";
export type { GatewayLogger } from "./log.js";
export { SILENT_GATEWAY_LOGGER } from "./log.js";
export type { Authenticate, MqttGatewayOptions, ParsedGatewayOptions } from "./options.js";
export {
  DEFAULT_AWARD_ACCEPT_MS,
  DEFAULT_BURST,
  DEFAULT_BUS_REQUEST_TIMEOUT_MS,
  DEFAULT_BUS_RETRY_MS,
  DEFAULT_COMMAND_TIMEOUT_MS,
  DEFAULT_DRAIN_TIMEOUT_MS,
  DEFAULT_HEARTBEAT_INTERVAL_MS,
  DEFAULT_MAX_CONNECTIONS_PER_CREDENTIAL,
  DEFAULT_MAX_OUTBOUND_BYTES,
  DEFAULT_MAX_PACKET_BYTES,
  DEFAULT_MAX_PENDING_REPORTS,
  DEFAULT_RATE_PER_SEC,
  DEFAULT_REPORT_GRACE_MS,
  DEFAULT_STATUS_RETRY_MS,
  DEFAULT_TARGET_CORE_LAG_MS,
  DEFAULT_TELEMETRY_QUEUE,
  parseGatewayOptions,
} from "./options.js";
export type { GatewayStats } from "./stats.js";
