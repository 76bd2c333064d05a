/**
 * One simulated robot on plain mqtt.js, speaking the gateway's topics and JSON exactly as firmware
 * would (see gateways/mqtt/README.md). No Swarmlink import: the topics are spelled here on purpose,
 * as a device's firmware would spell them.
 */
import mqtt from "mqtt";

export interface RobotOptions {
  url: string;
  id: string;
  /** Pose samples per second (QoS 0); battery goes once a second. */
  poseHz: number;
  /** Time a task takes, from accepted to succeeded. */
  workMs: number;
  /** 4 (MQTT 3.1.1) or 5. */
  protocolVersion: 4 | 5;
  username?: string;
  password?: string;
}

type Json = Record<string, unknown>;
const OFFLINE = '{"status":"offline"}';

export class SimRobot {
  readonly id: string;
  /** Counters, for tests and the CLI's summary. */
  readonly counts = { connects: 0, tasks: 0, succeeded: 0, commands: 0, bids: 0 };
  #o: RobotOptions;
  #client: mqtt.MqttClient;
  #pose = { x: 0, y: 0, headingDeg: 0 };
  #battery = 100;
  #seen = new Set<string>(); // "taskId#attempt": an award repeated is not run twice
  #running = new Map<string, NodeJS.Timeout>();
  #timers: NodeJS.Timeout[] = [];

  constructor(o: RobotOptions, index: number) {
    this.#o = o;
    this.id = o.id;
    this.#pose = { x: (index % 10) * 5, y: Math.floor(index / 10) * 5, headingDeg: 0 };
    const base = `swarm/${o.id}`;
    this.#client = mqtt.connect(o.url, {
      clientId: o.id, // the client id IS the agent id
      clean: false,
      protocolVersion: o.protocolVersion,
      properties: o.protocolVersion === 5 ? { sessionExpiryInterval: 60 } : undefined,
      reconnectPeriod: 500,
      username: o.username,
      password: o.password,
      will: { topic: `${base}/presence`, payload: Buffer.from(OFFLINE), qos: 1, retain: true },
    });
    this.#client.on("connect", () => this.#onConnect());
    this.#client.on("message", (topic, payload, packet) => this.#onMessage(topic, payload, packet));
    this.#client.on("error", () => {}); // mqtt.js reconnects by itself
    const period = Math.max(1, Math.round(1000 / o.poseHz));
    this.#timers.push(setInterval(() => this.#telemetry("pose", this.#pose), period));
    this.#timers.push(
      setInterval(() => {
        this.#battery = Math.max(5, this.#battery - 0.1);
        this.#telemetry("battery", { percent: Math.round(this.#battery * 10) / 10, charging: false });
      }, 1000),
    );
  }

  /** Resolves on the first CONNACK. */
  connected(): Promise<void> {
    if (this.#client.connected) return Promise.resolve();
    return new Promise((resolve) => this.#client.once("connect", () => resolve()));
  }

  /** The underlying socket, e.g. for a test that cuts it (the broker then sends the last will). */
  get client(): mqtt.MqttClient {
    return this.#client;
  }

  /** Leaves gracefully: presence offline (retained, replacing the online one), then DISCONNECT. */
  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    for (const t of this.#running.values()) clearTimeout(t);
    if (this.#client.connected) {
      await this.#client
        .publishAsync(`swarm/${this.id}/presence`, OFFLINE, { qos: 1, retain: true })
        .catch(() => {});
    }
    await this.#client.endAsync(true);
  }

  #onConnect(): void {
    this.counts.connects++;
    // Nagle + delayed ACK add ~88 ms to every QoS 1 round trip on a default socket.
    (this.#client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true);
    const base = `swarm/${this.id}`;
    const filters = [`${base}/cmd/+`, `${base}/tasks/offer`, `${base}/tasks/award`, `${base}/tasks/cancel`];
    this.#client.subscribe(filters, { qos: 1 });
    this.#publish(`${base}/presence`, { status: "online" }, true);
    this.#publish(
      `${base}/register`,
      {
        kind: "robot",
        displayName: `simulated ${this.id}`,
        softwareVersion: "firmware-sim/1",
        capabilities: ["move", "lift"],
        attributes: { sim: "true" },
        position: { x: this.#pose.x, y: this.#pose.y },
        credits: 1,
      },
      true,
    );
  }

  #onMessage(topic: string, payload: Buffer, packet: mqtt.IPublishPacket): void {
    let msg: Json;
    try {
      msg = JSON.parse(payload.toString()) as Json;
    } catch {
      return;
    }
    const rest = topic.slice(`swarm/${this.id}/`.length);
    if (rest === "tasks/award") this.#onAward(msg);
    else if (rest === "tasks/offer") this.#onOffer(msg);
    else if (rest === "tasks/cancel") this.#cancel(String(msg.taskId));
    else if (rest.startsWith("cmd/")) this.#onCommand(rest.slice(4), msg, packet);
  }

  #onAward(a: Json): void {
    const taskId = String(a.taskId);
    const key = `${taskId}#${a.attempt}`;
    const status = `swarm/${this.id}/tasks/${taskId}/status`;
    if (this.#seen.has(key)) return;
    if (this.#running.size > 0) {
      this.#publish(status, { state: "rejected", attempt: a.attempt, error: "busy" });
      return;
    }
    this.#seen.add(key);
    this.counts.tasks++;
    this.#publish(status, { state: "accepted", attempt: a.attempt });
    const target = (a.task as Json | undefined)?.position as { x?: number; y?: number } | undefined;
    this.#running.set(
      taskId,
      setTimeout(() => {
        this.#running.delete(taskId);
        if (typeof target?.x === "number" && typeof target.y === "number")
          this.#pose = { ...this.#pose, x: target.x, y: target.y };
        this.counts.succeeded++;
        this.#publish(status, { state: "succeeded", attempt: a.attempt, result: { at: this.#pose } });
      }, this.#o.workMs),
    );
  }

  #onOffer(o: Json): void {
    if (this.#running.size > 0) return; // busy: stay silent
    const p = (o.task as Json | undefined)?.position as { x?: number; y?: number } | undefined;
    const cost =
      typeof p?.x === "number" && typeof p.y === "number"
        ? Math.hypot(p.x - this.#pose.x, p.y - this.#pose.y)
        : 1;
    this.counts.bids++;
    this.#publish(`swarm/${this.id}/tasks/${o.taskId}/bid`, { cost, round: o.round });
  }

  #cancel(taskId: string): void {
    clearTimeout(this.#running.get(taskId));
    this.#running.delete(taskId);
  }

  #onCommand(name: string, c: Json, packet: mqtt.IPublishPacket): void {
    this.counts.commands++;
    const reply =
      name === "echo"
        ? { id: c.id, ok: true, result: c.args }
        : name === "where"
          ? { id: c.id, ok: true, result: this.#pose }
          : { id: c.id, ok: false, error: { code: "UNKNOWN_COMMAND", message: `no command ${name}` } };
    // MQTT 5: answer on the response topic with the correlation data, when the command carries them
    const props = packet.properties;
    const topic = props?.responseTopic ?? `swarm/${this.id}/cmd/${name}/reply`;
    const properties = props?.correlationData ? { correlationData: props.correlationData } : undefined;
    this.#client.publish(topic, JSON.stringify(reply), { qos: 1, properties });
  }

  #telemetry(stream: string, value: unknown): void {
    if (this.#client.connected)
      this.#client.publish(`swarm/${this.id}/telemetry/${stream}`, JSON.stringify(value), { qos: 0 });
  }

  #publish(topic: string, value: unknown, retain = false): void {
    this.#client.publish(topic, JSON.stringify(value), { qos: 1, retain });
  }
}
