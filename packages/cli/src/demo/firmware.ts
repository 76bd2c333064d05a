/**
 * A minimal firmware robot on plain mqtt.js, for the demo: the gateway's topics and JSON as a
 * device spells them (gateways/mqtt/README.md). The fuller simulator is examples/firmware-sim; it
 * is not a package, so the built CLI cannot import it.
 */
import mqtt from "mqtt";

type Json = Record<string, unknown>;
const OFFLINE = JSON.stringify({ status: "offline" });

/** One simulated robot: registers, streams pose and battery, bids, runs awards for `workMs`. */
export class FirmwareRobot {
  readonly id: string;
  #client: mqtt.MqttClient;
  #pose: { x: number; y: number };
  #battery = 100;
  #busy = false;
  #timers: NodeJS.Timeout[] = [];

  constructor(
    url: string,
    id: string,
    at: { x: number; y: number },
    readonly workMs: number,
  ) {
    this.id = id;
    this.#pose = { ...at };
    const base = `swarm/${id}`;
    this.#client = mqtt.connect(url, {
      clientId: id,
      reconnectPeriod: 500,
      will: { topic: `${base}/presence`, payload: Buffer.from(OFFLINE), qos: 1, retain: false },
    });
    this.#client.on("connect", () => {
      this.#client.subscribe([`${base}/cmd/+`, `${base}/tasks/offer`, `${base}/tasks/award`], { qos: 1 });
      const register = { kind: "robot", capabilities: ["move", "lift"], position: this.#pose, credits: 1 };
      this.#publish(`${base}/register`, {
        ...register,
        displayName: `firmware ${id}`,
        softwareVersion: "demo-fw/1",
      });
    });
    this.#client.on("message", (topic, payload) => this.#onMessage(topic.slice(base.length + 1), payload));
    this.#client.on("error", () => {}); // mqtt.js reconnects by itself
    this.#timers.push(
      setInterval(() => {
        this.#battery = Math.max(5, this.#battery - 0.2);
        this.#telemetry("battery", { percent: Math.round(this.#battery), charging: false });
        this.#telemetry("pose", this.#pose);
      }, 1000),
    );
  }

  /** Resolves on the first CONNACK. */
  connected(): Promise<void> {
    if (this.#client.connected) return Promise.resolve();
    return new Promise((resolve) => this.#client.once("connect", () => resolve()));
  }

  async stop(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    if (this.#client.connected)
      await this.#client.publishAsync(`swarm/${this.id}/presence`, OFFLINE, { qos: 1 }).catch(() => {});
    await this.#client.endAsync(true);
  }

  #onMessage(rest: string, payload: Buffer): void {
    let m: Json;
    try {
      m = JSON.parse(payload.toString()) as Json;
    } catch {
      return;
    }
    const target = (m.task as Json | undefined)?.position as { x?: number; y?: number } | undefined;
    if (rest === "tasks/offer" && !this.#busy) {
      const cost =
        typeof target?.x === "number"
          ? Math.hypot(target.x - this.#pose.x, (target.y ?? 0) - this.#pose.y)
          : 1;
      this.#publish(`swarm/${this.id}/tasks/${m.taskId}/bid`, { cost, round: m.round });
    } else if (rest === "tasks/award") {
      const status = `swarm/${this.id}/tasks/${m.taskId}/status`;
      if (this.#busy) {
        this.#publish(status, { state: "rejected", attempt: m.attempt, error: "busy" });
        return;
      }
      this.#busy = true;
      this.#publish(status, { state: "accepted", attempt: m.attempt });
      const t = setTimeout(() => {
        this.#busy = false;
        if (typeof target?.x === "number") this.#pose = { x: target.x, y: target.y ?? 0 };
        this.#publish(status, { state: "succeeded", attempt: m.attempt, result: { at: this.#pose } });
      }, this.workMs);
      this.#timers.push(t);
    } else if (rest.startsWith("cmd/")) {
      const name = rest.slice(4);
      const reply =
        name === "where"
          ? { id: m.id, ok: true, result: this.#pose }
          : name === "echo"
            ? { id: m.id, ok: true, result: m.args }
            : { id: m.id, ok: false, error: { code: "UNKNOWN_COMMAND", message: `no command ${name}` } };
      this.#publish(`swarm/${this.id}/cmd/${name}/reply`, reply);
    }
  }

  #telemetry(stream: string, value: unknown): void {
    if (this.#client.connected)
      this.#client.publish(`swarm/${this.id}/telemetry/${stream}`, JSON.stringify(value), { qos: 0 });
  }

  #publish(topic: string, value: unknown): void {
    this.#client.publish(topic, JSON.stringify(value), { qos: 1 });
  }
}
