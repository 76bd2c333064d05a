import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SwarmError } from "@swarmlink/protocol";
import { operatorApi } from "./api.js";
import { apiRoute } from "./http-api.js";
import type { SwarmNode } from "./node.js";

export interface NodeHttp {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * The node's operational HTTP endpoint: `GET /metrics` (Prometheus text), `GET /healthz` (the
 * process serves), `GET /readyz` (its parts started and a coordinator is known), `GET /v1/status`
 * (JSON: node, leadership, agents by state, tasks by state), and the JSON control routes of
 * `apiRoute` (agents, tasks, commands, leader) over the node's Bus and Store.
 */
export async function serveHttp(
  node: SwarmNode,
  opts: {
    port: number;
    host?: string;
    /** More for `/v1/status`, e.g. the gateways' back-pressure counters, merged in at each request. */
    status?: () => Record<string, unknown>;
  },
): Promise<NodeHttp> {
  const api = operatorApi({ bus: node.bus, store: node.store, source: node.nodeId });
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    void apiRoute(api, req.method ?? "GET", url, () => readJson(req))
      .then((r) => r && { status: r.status, type: "application/json", body: JSON.stringify(r.body) })
      .then((r) => r ?? respond(node, req.url ?? "/", opts.status))
      .then(
        ({ status, type, body }) => {
          res.writeHead(status, { "content-type": type });
          res.end(body);
        },
        (err: unknown) => {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ code: "E_INTERNAL", message: String(err) }));
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err) =>
      reject(
        new SwarmError("E_CONFIG", `cannot listen on port ${opts.port}`, { port: opts.port }, { cause: err }),
      ),
    );
    server.listen(opts.port, opts.host ?? "127.0.0.1", resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(":") ? `[${address}]` : address}:${port}`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

/** Largest request body read, in bytes; a bigger one is refused E_INVALID. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_BODY_BYTES)
      throw new SwarmError("E_INVALID", "request body too large", { limit: MAX_REQUEST_BODY_BYTES });
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SwarmError("E_INVALID", "request body is not JSON");
  }
}

async function respond(
  node: SwarmNode,
  url: string,
  extra: (() => Record<string, unknown>) | undefined,
): Promise<{ status: number; type: string; body: string }> {
  const json = (status: number, v: unknown) => ({
    status,
    type: "application/json",
    body: JSON.stringify(v),
  });
  switch (url.split("?")[0]) {
    case "/metrics":
      return { status: 200, type: node.metrics.contentType, body: await node.metrics.metrics() };
    case "/healthz":
      return json(200, { ok: true });
    case "/readyz": {
      const s = node.leadership.state();
      return json(s.holder ? 200 : 503, { ready: Boolean(s.holder), holder: s.holder ?? null });
    }
    case "/v1/status":
      return json(200, { ...status(node), ...extra?.() });
    default:
      return json(404, { code: "E_NOT_FOUND", message: `no route ${url}` });
  }
}

/** The node at a glance, as `/v1/status` and `swarm top` show it. */
export function status(node: SwarmNode) {
  const lead = node.leadership.state();
  const reg = node.registry.stats();
  const dis = node.dispatcher.stats();
  return {
    nodeId: node.nodeId,
    bus: node.bus.name,
    store: node.store.name,
    leader: {
      group: lead.group,
      holder: lead.holder ?? null,
      token: lead.token ?? null,
      isLeader: lead.isLeader,
    },
    agents: reg.agents,
    tasks: { byState: dis.tasksByState, finished: dis.finished, awards: dis.awards, retries: dis.retries },
    commands: node.commands.stats(),
  };
}
