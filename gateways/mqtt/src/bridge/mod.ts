/**
 * Bridge mode: the gateway as a client of an existing broker.
 *
 * @module
 */
export type { BridgeStats } from "./bridge.js";
export { MqttBridge } from "./bridge.js";
export {
  commandProperties,
  isProtobufContent,
  outgoingProperties,
  PROTOBUF_CONTENT_TYPES,
  replyWithCorrelation,
} from "./mqtt5.js";
export type { MqttBridgeOptions, ParsedBridgeOptions } from "./options.js";
export {
  DEFAULT_BRIDGE_CONNECT_TIMEOUT_MS,
  DEFAULT_BRIDGE_RECONNECT_MS,
  parseBridgeOptions,
} from "./options.js";
