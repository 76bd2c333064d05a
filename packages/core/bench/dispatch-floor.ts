/**
 * The dispatch floor: the messages and Store writes a `queue` task costs, made with plain nats.js
 * and ioredis and pre-built payloads of the sizes the dispatcher sends — no Swarmlink code, no
 * encoding, no bookkeeping — laid out as the split dispatch case (dispatch-split.ts): coordinator in
 * a process of its own (floor-coordinator.ts), submitters and agents in this one, a private
 * nats-server and redis-server. What it measures is what this machine can do for that traffic
 * pattern at best: the ceiling of any dispatcher that keeps the pattern (a durable submission, a
 * durable record write at award and at the end, an award request, a report request, an event for
 * each of four transitions), and the CPU each process spends per task.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { AckPolicy, jetstream, jetstreamManager, RetentionPolicy } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { decodeEnvelope, systemClock, TaskState, unwrapAs } from "@swarmlink/protocol";
import { encodeRecord, newRecord } from "../src/dispatcher/record.js";
import { FENCED_HEADER_BYTES } from "../src/election/fenced-record.js";
import { buildTask, envelopeBytes } from "../src/tasks/mod.js";
import { batchBytes, FLOOR, type FloorSizes, floorBytes, idsOf } from "./floor-wire.js";
import { type MessagesPerTask, natsTraffic } from "./nats-traffic.js";
import { type CpuPerTask, cpuReader } from "./proc-cpu.js";

export interface FloorOptions {
  natsUrl: string;
  redisUrl: string;
  /** The pids of the nats-server and redis-server, for their CPU per task. */
  natsPid: number;
  redisPid: number;
  /** The nats-server's monitoring URL, for its messages per task. */
  natsMonitorUrl: string;
  tasks: number;
  window: number;
  agents: number;
  sizes: FloorSizes;
  /** Awards and reports batched per agent and turn (one request for all of an agent's tasks). */
  batched?: boolean;
}

export interface FloorResult {
  tasksPerSecond: number;
  cpuUsPerTask: CpuPerTask;
  messagesPerTask: MessagesPerTask;
}

export async function dispatchFloor(o: FloorOptions): Promise<FloorResult> {
  const nc = await connect({ servers: o.natsUrl, name: "floor-clients" });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({
    name: FLOOR.stream,
    subjects: [FLOOR.submit],
    retention: RetentionPolicy.Workqueue,
  });
  await jsm.consumers.add(FLOOR.stream, {
    durable_name: FLOOR.durable,
    ack_policy: AckPolicy.Explicit,
    max_ack_pending: FLOOR.maxAckPending,
  });
  const bytes = floorBytes(o.sizes);
  let reported = 0;
  let allReported: () => void = () => {};
  const done = new Promise<void>((resolve) => {
    allReported = resolve;
  });
  for (let i = 0; i < o.agents; i++) {
    nc.subscribe(`${FLOOR.awardPrefix}${i}.*`, {
      callback: (_e, m) => {
        const id = m.subject.slice(m.subject.lastIndexOf(".") + 1);
        if (id === "batch") {
          const ids = idsOf(m.data);
          m.respond(batchBytes(ids, bytes.result.length)); // ACCEPTED, each
          const report = batchBytes(ids, bytes.result.length);
          void nc.request(FLOOR.reportBatches, report, { timeout: 10_000 }).then(() => {
            reported += ids.length;
            if (reported === o.tasks) allReported();
          });
          return;
        }
        m.respond(bytes.result); // ACCEPTED
        void nc.request(`${FLOOR.reportPrefix}${id}`, bytes.result, { timeout: 10_000 }).then(() => {
          if (++reported === o.tasks) allReported();
        });
      },
    });
  }
  await nc.flush();
  const child = await startCoordinator(o);
  try {
    const js = jetstream(nc);
    const cpu = cpuReader([child.pid!, o.natsPid, o.redisPid]);
    const traffic = await natsTraffic(o.natsMonitorUrl);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < o.tasks) {
        next++;
        await js.publish(FLOOR.submit, bytes.task);
      }
    };
    await Promise.all(Array.from({ length: o.window }, lane));
    await done;
    const elapsedMs = performance.now() - t0;
    const clients = process.cpuUsage(cpu0);
    const [coordinator, natsServer, redisServer] = cpu().map((ms) => (ms * 1000) / o.tasks);
    const messagesPerTask = await traffic(o.tasks);
    return {
      tasksPerSecond: (o.tasks / elapsedMs) * 1000,
      cpuUsPerTask: {
        coordinator: coordinator!,
        clients: (clients.user + clients.system) / o.tasks,
        natsServer: natsServer!,
        redisServer: redisServer!,
      },
      messagesPerTask,
    };
  } finally {
    child.kill("SIGKILL");
    await jsm.streams.delete(FLOOR.stream).catch(() => {});
    await nc.close();
  }
}

async function startCoordinator(o: FloorOptions) {
  const script = fileURLToPath(new URL("./floor-coordinator.ts", import.meta.url));
  const args = [o.natsUrl, o.redisUrl, String(o.agents), JSON.stringify(o.sizes), o.batched ? "batched" : ""];
  const child = spawn(process.execPath, ["--import", "tsx", script, ...args], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on("line", (l) => l === "ready" && resolve());
    child.once("exit", (code) => reject(new Error(`floor coordinator exited (${code}) before it was ready`)));
  });
  return child;
}

/** The sizes of a `queue` task's messages as the dispatcher encodes them (ids at their real length). */
export function floorSizes(): FloorSizes {
  const id = "01J00000000000000000000000";
  const agentId = "bench-worker-10";
  const task = buildTask({ kind: "pick", capabilities: ["pick"] }, id);
  const taskBytes = envelopeBytes("swarmlink.v1.Task", task, "task-client", systemClock);
  const base = newRecord(unwrapAs(decodeEnvelope(taskBytes), "swarmlink.v1.Task"), 1_000_000, Date.now());
  const rec = { ...base, state: TaskState.TASK_STATE_AWARDED, assignee: agentId, attempts: 1 };
  const award = {
    taskId: id,
    agentId,
    fencingToken: 1_000_000,
    coordinatorId: "bench-node",
    attempt: 1,
    task,
  };
  const result = { taskId: id, agentId, state: TaskState.TASK_STATE_SUCCEEDED, attempt: 1 };
  return {
    task: taskBytes.length,
    record: encodeRecord(rec).length + FENCED_HEADER_BYTES,
    event: envelopeBytes("swarmlink.v1.TaskInfo", rec, "bench-node", systemClock).length,
    award: envelopeBytes("swarmlink.v1.Award", award, "bench-node", systemClock).length,
    result: envelopeBytes("swarmlink.v1.TaskResult", result, agentId, systemClock).length,
  };
}
