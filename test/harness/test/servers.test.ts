import {
  probeAmqp,
  probeMqtt,
  probeNats,
  probeRedis,
  startMosquitto,
  startNats,
  startRabbit,
  startRedis,
} from "../src/mod.js";
import { lifecycleSuite } from "./lifecycle.js";

describe("a private redis-server", () => {
  lifecycleSuite({
    start: startRedis,
    probe: (port, timeoutMs) => probeRedis(port, { timeoutMs }),
    scheme: "redis://",
  });
});

describe("a private mosquitto broker", () => {
  lifecycleSuite({
    start: startMosquitto,
    probe: (port, timeoutMs) => probeMqtt(port, { timeoutMs }),
    scheme: "mqtt://",
  });
});

describe("a private nats-server", () => {
  lifecycleSuite({
    start: startNats,
    probe: (port, timeoutMs) => probeNats(port, { timeoutMs }),
    scheme: "nats://",
  });
});

describe("a private RabbitMQ node", () => {
  lifecycleSuite({
    start: startRabbit,
    probe: (port, timeoutMs) => probeAmqp(port, { timeoutMs }),
    scheme: "amqp://guest:guest@",
    startTimeoutMs: 90_000,
  });
});
