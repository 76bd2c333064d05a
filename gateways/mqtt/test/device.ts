import { isValidId, mqttFilters, mqttTopics } from "@swarmlink/protocol";
import mqtt from "mqtt";

/** A firmware-like test device on plain mqtt.js: accepts every award and succeeds it, answers commands. */
export interface TestDevice {
  client: mqtt.MqttClient;
  awards: Record<string, unknown>[];
  /** Everything the device received, in order. */
  received: Array<{ topic: string; msg: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** What a test device does besides connecting. */
export interface DeviceOptions {
  /** Publish this descriptor on its register topic (QoS 1) once connected. */
  register?: Record<string, unknown>;
  /** Subscribe to its topics and answer awards and commands. @default true */
  serve?: boolean;
  /** Answer offers with this cost (else stay silent). */
  bid?: number;
  /** Report "succeeded" right after accepting. @default true */
  finish?: boolean;
  username?: string;
  password?: string;
}

export async function connectDevice(port: number, id: string, opts: DeviceOptions = {}): Promise<TestDevice> {
  const client = mqtt.connect(`mqtt://127.0.0.1:${port}`, {
    clientId: id,
    protocolVersion: 4,
    reconnectPeriod: 0,
    username: opts.username,
    password: opts.password,
    will: isValidId(id)
      ? {
          topic: mqttTopics.presence(id),
          payload: Buffer.from('{"status":"offline"}'),
          qos: 1,
          retain: false,
        }
      : undefined,
  });
  await new Promise<void>((resolve, reject) => {
    client.once("connect", () => resolve());
    client.once("error", reject);
  });
  (client.stream as unknown as { setNoDelay?: (b: boolean) => void }).setNoDelay?.(true);
  const awards: Record<string, unknown>[] = [];
  const received: Array<{ topic: string; msg: Record<string, unknown> }> = [];
  if (opts.serve !== false && isValidId(id)) {
    await client.subscribeAsync(mqttFilters.toAgent(id), { qos: 1 });
    client.on("message", (topic, payload) => {
      const msg = JSON.parse(payload.toString()) as Record<string, unknown>;
      received.push({ topic, msg });
      if (topic === mqttTopics.taskOffer(id) && opts.bid !== undefined) {
        const bid = JSON.stringify({ cost: opts.bid, round: msg.round });
        void client.publishAsync(mqttTopics.taskBid(id, msg.taskId as string), bid, { qos: 1 });
      } else if (topic === mqttTopics.taskAward(id)) {
        awards.push(msg);
        const taskId = msg.taskId as string;
        void client.publishAsync(mqttTopics.taskStatus(id, taskId), JSON.stringify({ state: "accepted" }), {
          qos: 1,
        });
        if (opts.finish !== false)
          void client.publishAsync(
            mqttTopics.taskStatus(id, taskId),
            JSON.stringify({ state: "succeeded", result: { ok: 1 } }),
            { qos: 1 },
          );
      } else if (topic.startsWith(mqttTopics.command(id, "x").slice(0, -1)) && !topic.endsWith("/reply")) {
        const name = topic.split("/").at(-1) as string;
        const reply =
          name === "echo"
            ? { id: msg.id, ok: true, result: msg.args }
            : { id: msg.id, ok: false, error: { code: "UNKNOWN_COMMAND" } };
        void client.publishAsync(mqttTopics.commandReply(id, name), JSON.stringify(reply), { qos: 1 });
      }
    });
  }
  if (opts.register)
    await client.publishAsync(mqttTopics.register(id), JSON.stringify(opts.register), { qos: 1 });
  return {
    client,
    awards,
    received,
    close: () => client.endAsync(true),
  };
}

export const waitUntil = async (cond: () => boolean | Promise<boolean>, ms: number, what: string) => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};
