import { isSwarmError, SwarmError } from "@swarmlink/protocol";
import type { AgentQuery } from "../types.js";
import type { CommandBody, OperatorApi, SubmitBody } from "./api.js";

/** An HTTP answer: a status and a JSON body. */
export interface JsonReply {
  status: number;
  body: unknown;
}

const HTTP_STATUS: Record<string, number> = {
  E_NOT_FOUND: 404,
  E_INVALID: 400,
  E_CONFIG: 400,
  E_DECODE: 400,
  E_CONFLICT: 409,
  E_OVERFLOW: 429,
  E_TIMEOUT: 504,
  E_NO_RESPONDERS: 503,
  E_UNAVAILABLE: 503,
  E_UNSUPPORTED: 501,
};

/**
 * The JSON control routes of `serveHttp` (undefined: not one of them):
 * `GET /v1/agents?capability=a,b&near=x,y,r&status=online`, `GET /v1/tasks?limit=n`,
 * `GET /v1/tasks/{id}`, `POST /v1/tasks` ({@link SubmitBody} → 201 `{id, duplicate}`),
 * `POST /v1/tasks/{id}/cancel` (`{reason}`), `POST /v1/commands` ({@link CommandBody}),
 * `GET /v1/leader?group=coordinator`. Errors: `{code, message, context}` with a status by code.
 */
export async function apiRoute(
  api: OperatorApi,
  method: string,
  url: URL,
  body: () => Promise<unknown>,
): Promise<JsonReply | undefined> {
  const path = url.pathname;
  const q = url.searchParams;
  const task = /^\/v1\/tasks\/([^/]+)(\/cancel)?$/.exec(path);
  try {
    if (method === "GET" && path === "/v1/agents") return ok(await api.agents(agentQuery(q)));
    if (method === "GET" && path === "/v1/tasks") return ok(await api.tasks({ limit: int(q.get("limit")) }));
    if (method === "POST" && path === "/v1/tasks")
      return { status: 201, body: await api.submit((await body()) as SubmitBody) };
    if (method === "GET" && task && !task[2]) return ok(await api.task(decodeURIComponent(task[1]!)));
    if (method === "POST" && task?.[2]) {
      const b = (await body()) as { reason?: string } | undefined;
      return ok(await api.cancel(decodeURIComponent(task[1]!), b?.reason));
    }
    if (method === "POST" && path === "/v1/commands")
      return ok(await api.command((await body()) as CommandBody));
    if (method === "GET" && path === "/v1/leader")
      return ok(await api.leader(q.get("group") || "coordinator"));
  } catch (err) {
    if (!isSwarmError(err)) throw err;
    return {
      status: HTTP_STATUS[err.code] ?? 500,
      body: { code: err.code, message: err.message, context: err.context },
    };
  }
  return undefined;
}

const ok = (body: unknown): JsonReply => ({ status: 200, body });

function int(s: string | null): number | undefined {
  const n = s === null ? Number.NaN : Number(s);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

/** `capability=a,b` (repeatable), `near=x,y,r`, `status=online,suspect`, `limit=n`. */
export function agentQuery(q: URLSearchParams): AgentQuery {
  const out: AgentQuery = {};
  const caps = q
    .getAll("capability")
    .flatMap((c) => c.split(","))
    .filter(Boolean);
  if (caps.length) out.capabilities = caps;
  const nearText = q.get("near");
  if (nearText !== null) {
    const near = nearText.split(",").map(Number);
    if (near.length !== 3 || !near.every(Number.isFinite))
      throw new SwarmError("E_INVALID", "near must be x,y,radius", { field: "near" });
    out.near = { x: near[0]!, y: near[1]!, radius: near[2]! };
  }
  const status = q.get("status")?.split(",").filter(Boolean);
  if (status?.length) out.status = status as AgentQuery["status"] & string[];
  const limit = int(q.get("limit"));
  if (limit) out.limit = limit;
  return out;
}
