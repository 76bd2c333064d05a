import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { mqttTopics } from "@swarmlink/protocol";
import mqtt from "mqtt";
import { waitUntil } from "../device.js";
import { eachSwarm, startMemorySwarm } from "../swarm.js";

/** A self-signed key and certificate for 127.0.0.1 / localhost, made with openssl. */
function selfSigned(): { key: Buffer; cert: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), "mqtt-tls-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    const subject = "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1,DNS:localhost".split(" ");
    const newKey = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1".split(" ");
    execFileSync("openssl", [...newKey, ...subject, "-keyout", key, "-out", cert], { stdio: "ignore" });
    return { key: readFileSync(key), cert: readFileSync(cert) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("MqttGateway listener over TLS", () => {
  let tls: { key: Buffer; cert: Buffer };

  before(() => {
    tls = selfSigned();
  });
  const swarm = eachSwarm(() => startMemorySwarm({ tls }));

  it("registers a device connecting with mqtts that trusts the gateway's certificate", async () => {
    const c = await mqtt.connectAsync(`mqtts://127.0.0.1:${swarm().gw.port}`, {
      clientId: "tls-01",
      protocolVersion: 4,
      reconnectPeriod: 0,
      ca: tls.cert,
      rejectUnauthorized: true,
    });
    swarm().defer(() => c.endAsync(true));
    await c.publishAsync(mqttTopics.register("tls-01"), JSON.stringify({ capabilities: ["scan"] }), {
      qos: 1,
    });
    await waitUntil(
      () => swarm().node.registry.directory.get("tls-01")?.status === "online",
      5000,
      "tls-01 online",
    );
  });

  it("refuses a device that does not trust the certificate, and a plain TCP client", async () => {
    await assert.rejects(
      mqtt.connectAsync(`mqtts://127.0.0.1:${swarm().gw.port}`, {
        clientId: "tls-02",
        reconnectPeriod: 0,
        connectTimeout: 3000,
      }),
      /self[- ]signed|certificate/i,
    );
    const plain = mqtt.connect(`mqtt://127.0.0.1:${swarm().gw.port}`, {
      clientId: "tls-03",
      reconnectPeriod: 0,
      connectTimeout: 3000,
    });
    const outcome = await new Promise<string>((resolve) => {
      plain.once("connect", () => resolve("connected"));
      plain.once("close", () => resolve("closed"));
      plain.once("error", () => resolve("error"));
    });
    await plain.endAsync(true);
    assert.notEqual(outcome, "connected");
    assert.equal(swarm().node.registry.directory.get("tls-03"), undefined);
  });
});
