import type { ParsedGatewayOptions } from "./options.js";
import type { StatsCounter } from "./stats.js";

/** What a device session and the handlers need from the gateway. */
export interface GatewayContext {
  readonly o: ParsedGatewayOptions;
  readonly stats: StatsCounter;
  /** Publishes JSON to a device (QoS 1 unless said), through the broker. */
  sendToDevice(topic: string, value: unknown, qos?: 0 | 1): void;
}
