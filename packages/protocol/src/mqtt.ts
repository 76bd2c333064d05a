/**
 * The subject scheme, part 2: MQTT topics, as spoken by robot firmware through the MQTT gateway.
 * With `subjects.ts`, the only place a topic is spelled. Every topic is `swarm/{agentId}/...`, so
 * an agent's whole conversation is `swarm/{agentId}/#` and a broker ACL can confine each client to
 * its own subtree.
 *
 * @module
 */
import { checkedId, notOurs, validateId } from "./ids.js";

const ROOT = "swarm";
const agent = (agentId: string) => `${ROOT}/${validateId("agentId", agentId)}`;

/**
 * Concrete MQTT topics. Each validates its ids, so none contains `/`, `+` or `#` where it should
 * not ([MQTT-3.3.2-2]: a PUBLISH topic must not contain wildcards).
 *
 * @example
 * ```ts
 * mqttTopics.telemetry("amr-07", "battery"); // "swarm/amr-07/telemetry/battery"
 * mqttTopics.commandReply("amr-07", "dock");  // "swarm/amr-07/cmd/dock/reply"
 * ```
 */
export const mqttTopics = {
  /** Agent → swarm: the agent's descriptor (sent on connect, retained by convention). */
  register: (agentId: string) => `${agent(agentId)}/register`,
  /** Agent → swarm: one telemetry stream. */
  telemetry: (agentId: string, stream: string) =>
    `${agent(agentId)}/telemetry/${validateId("stream", stream)}`,
  /** Swarm → agent: a command. */
  command: (agentId: string, name: string) => `${agent(agentId)}/cmd/${validateId("name", name)}`,
  /** Agent → swarm: the reply to a command. */
  commandReply: (agentId: string, name: string) => `${agent(agentId)}/cmd/${validateId("name", name)}/reply`,
  /** Swarm → agent: task offers (calls for bids). */
  taskOffer: (agentId: string) => `${agent(agentId)}/tasks/offer`,
  /** Swarm → agent: task awards. */
  taskAward: (agentId: string) => `${agent(agentId)}/tasks/award`,
  /** Swarm → agent: cancel a task the agent runs. */
  taskCancel: (agentId: string) => `${agent(agentId)}/tasks/cancel`,
  /** Agent → swarm: a bid for a task. */
  taskBid: (agentId: string, taskId: string) => `${agent(agentId)}/tasks/${validateId("taskId", taskId)}/bid`,
  /** Agent → swarm: status of a task the agent runs. */
  taskStatus: (agentId: string, taskId: string) =>
    `${agent(agentId)}/tasks/${validateId("taskId", taskId)}/status`,
  /** Agent → swarm: presence, typically the client's last will ("offline"). */
  presence: (agentId: string) => `${agent(agentId)}/presence`,
  /** The same topic with protobuf payloads instead of JSON: `topic` + `/pb`. */
  protobuf: (topic: string) => `${topic}${PROTOBUF_SUFFIX}`,
} as const;

/** Suffix of a topic whose payloads are protobuf messages instead of JSON. */
const PROTOBUF_SUFFIX = "/pb";

/**
 * MQTT topic filters (with wildcards), for SUBSCRIBE only.
 *
 * @example
 * ```ts
 * client.subscribe([...mqttFilters.fromAgents]);         // the gateway's bridge subscription
 * client.subscribe(mqttFilters.toAgent("amr-07"));        // firmware: everything sent to me
 * ```
 */
export const mqttFilters = {
  /** Every topic an agent publishes on, for every agent: what the gateway listens to. */
  fromAgents: [
    `${ROOT}/+/register`,
    `${ROOT}/+/telemetry/+`,
    `${ROOT}/+/cmd/+/reply`,
    `${ROOT}/+/tasks/+/bid`,
    `${ROOT}/+/tasks/+/status`,
    `${ROOT}/+/presence`,
  ],
  /** Everything the swarm sends to one agent: commands, offers, awards. */
  toAgent: (agentId: string) => [
    `${agent(agentId)}/cmd/+`,
    `${agent(agentId)}/tasks/offer`,
    `${agent(agentId)}/tasks/award`,
    `${agent(agentId)}/tasks/cancel`,
  ],
  /** One agent's whole subtree, both directions (for ACLs and debugging). */
  agentTree: (agentId: string) => `${agent(agentId)}/#`,
} as const;

/** What a topic made by {@link mqttTopics} refers to; `encoding: "protobuf"` for a `/pb` topic. */
export type MqttRoute = (
  | { kind: "register" | "presence" | "taskOffer" | "taskAward" | "taskCancel"; agentId: string }
  | { kind: "telemetry"; agentId: string; stream: string }
  | { kind: "command" | "commandReply"; agentId: string; name: string }
  | { kind: "taskBid" | "taskStatus"; agentId: string; taskId: string }
) & { encoding?: "protobuf" };

/** Longest topic `parseMqttTopic` looks at: four ids and the fixed words fit with room to spare. */
const MAX_TOPIC_LENGTH = 1024;

/**
 * Reads an MQTT topic back into its route, e.g. in the gateway's PUBLISH handler.
 *
 * @throws SwarmError `E_INVALID` when the topic is not one of Swarmlink's (context `topic`, cut to
 * 256 characters) or an id in it is malformed (context `field`).
 *
 * @example
 * ```ts
 * parseMqttTopic("swarm/amr-07/tasks/01JD4Q7ZK3M5T8B2C6E9F0GHJK/bid");
 * // { kind: "taskBid", agentId: "amr-07", taskId: "01JD4Q7ZK3M5T8B2C6E9F0GHJK" }
 * ```
 */
export function parseMqttTopic(topic: string): MqttRoute {
  if (typeof topic !== "string" || topic.length > MAX_TOPIC_LENGTH || !topic.startsWith(`${ROOT}/`)) {
    throw notOurs("topic", topic);
  }
  if (topic.endsWith(PROTOBUF_SUFFIX)) {
    // `swarm/a/telemetry/pb` is the JSON stream "pb": only a topic that parses without it is protobuf
    try {
      const route = parseMqttTopic(topic.slice(0, -PROTOBUF_SUFFIX.length));
      if (route.encoding === undefined) return { ...route, encoding: "protobuf" };
    } catch {
      // not ours with the suffix off either: parse as it is
    }
  }
  const levels = topic.split("/");
  const id = (field: string, level: string | undefined) => checkedId(topic, "topic", field, level);
  const [, agentId, a, b, c] = levels;
  switch (levels.length) {
    case 3:
      if (a === "register" || a === "presence") return { kind: a, agentId: id("agentId", agentId) };
      break;
    case 4:
      if (a === "telemetry")
        return { kind: "telemetry", agentId: id("agentId", agentId), stream: id("stream", b) };
      if (a === "cmd") return { kind: "command", agentId: id("agentId", agentId), name: id("name", b) };
      if (a === "tasks" && (b === "offer" || b === "award" || b === "cancel")) {
        const kind = b === "offer" ? "taskOffer" : b === "award" ? "taskAward" : "taskCancel";
        return { kind, agentId: id("agentId", agentId) };
      }
      break;
    case 5:
      if (a === "cmd" && c === "reply") {
        return { kind: "commandReply", agentId: id("agentId", agentId), name: id("name", b) };
      }
      if (a === "tasks" && (c === "bid" || c === "status")) {
        return {
          kind: c === "bid" ? "taskBid" : "taskStatus",
          agentId: id("agentId", agentId),
          taskId: id("taskId", b),
        };
      }
      break;
  }
  throw notOurs("topic", topic);
}
