import { mqttTopics, parseMqttTopic } from "@swarmlink/protocol";
import type { IPublishPacket } from "mqtt";

type Properties = IPublishPacket["properties"];

/**
 * MQTT 5 properties of a publish to a device: a command (`swarm/{id}/cmd/{name}`, JSON `{"id",…}`)
 * carries its reply topic as Response Topic and its id as Correlation Data [MQTT-4.10], so an
 * MQTT 5 device can answer without knowing the topic scheme. Nothing for anything else.
 */
export function commandProperties(topic: string, payload: Uint8Array): Properties | undefined {
  let route: ReturnType<typeof parseMqttTopic>;
  try {
    route = parseMqttTopic(topic);
  } catch {
    return undefined;
  }
  if (route.kind !== "command") return undefined;
  let id: unknown;
  try {
    id = (JSON.parse(Buffer.from(payload).toString("utf8")) as { id?: unknown } | null)?.id;
  } catch {
    return undefined; // not JSON (protobuf): no id to correlate here
  }
  if (typeof id !== "string") return undefined;
  return {
    responseTopic: mqttTopics.commandReply(route.agentId, route.name),
    correlationData: Buffer.from(id, "utf8"),
  };
}

/** A JSON command reply without `"id"` takes it from the MQTT 5 Correlation Data, when there is one. */
export function replyWithCorrelation(payload: Buffer, properties: Properties | undefined): Buffer {
  const data = properties?.correlationData;
  if (!data) return payload;
  let value: unknown;
  try {
    value = JSON.parse(payload.toString("utf8"));
  } catch {
    return payload; // the codec reports it
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) return payload;
  if ((value as { id?: unknown }).id !== undefined) return payload;
  return Buffer.from(JSON.stringify({ ...value, id: Buffer.from(data).toString("utf8") }));
}

/** Content types read as protobuf on an MQTT 5 publish (besides a `/pb` topic). */
export const PROTOBUF_CONTENT_TYPES: readonly string[] = [
  "application/x-protobuf",
  "application/protobuf",
  "application/vnd.google.protobuf",
];

/** Whether an MQTT 5 publish says its payload is protobuf (Content Type [MQTT-3.3.2.3.9]). */
export function isProtobufContent(properties: Properties | undefined): boolean {
  const t = properties?.contentType?.split(";")[0]?.trim().toLowerCase();
  return t !== undefined && PROTOBUF_CONTENT_TYPES.includes(t);
}

/** The MQTT 5 properties of a publish to a device: the content type of a `/pb` topic, and a command's. */
export function outgoingProperties(topic: string, payload: Uint8Array): Properties | undefined {
  let protobuf = false;
  try {
    protobuf = parseMqttTopic(topic).encoding === "protobuf";
  } catch {
    return undefined;
  }
  return protobuf ? { contentType: "application/x-protobuf" } : commandProperties(topic, payload);
}
