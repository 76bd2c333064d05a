import type { AgentQuery } from "@swarmlink/core";
import { ERROR_CODES, type ErrorCode, SwarmError } from "@swarmlink/protocol";
import type { Remote } from "./remote.js";

/** The node's HTTP control API (see `serveHttp` in @swarmlink/core) as a Remote. */
export function httpApi(base: string, timeoutMs: number): Remote {
  const call = async <T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> => {
    let res: Response;
    try {
      res = await fetch(base + path, {
        method,
        signal: AbortSignal.timeout(timeoutMs),
        ...(body === undefined
          ? {}
          : { body: JSON.stringify(body), headers: { "content-type": "application/json" } }),
      });
    } catch (err) {
      const timeout = (err as Error).name === "TimeoutError";
      throw new SwarmError(
        timeout ? "E_TIMEOUT" : "E_UNAVAILABLE",
        timeout
          ? `no answer from ${base} in ${timeoutMs} ms`
          : `no swarm at ${base} (is 'swarm up' running?)`,
        { server: base },
        { cause: err },
      );
    }
    const text = await res.text();
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      throw new SwarmError("E_DECODE", `${base}${path} answered ${res.status} with no JSON`, {
        status: res.status,
      });
    }
    if (res.ok) return v as T;
    const e = v as { code?: string; message?: string; context?: Record<string, string> };
    const code = e.code && Object.hasOwn(ERROR_CODES, e.code) ? (e.code as ErrorCode) : "E_INTERNAL";
    throw new SwarmError(code, e.message ?? `HTTP ${res.status}`, e.context ?? {});
  };
  return {
    url: base,
    bus: undefined,
    agents: (q) => call("GET", `/v1/agents${agentParams(q)}`),
    tasks: (o = {}) => call("GET", `/v1/tasks${o.limit ? `?limit=${o.limit}` : ""}`),
    task: (id) => call("GET", `/v1/tasks/${encodeURIComponent(id)}`),
    submit: (b) => call("POST", "/v1/tasks", b),
    cancel: (id, reason) =>
      call("POST", `/v1/tasks/${encodeURIComponent(id)}/cancel`, { reason: reason ?? "" }),
    command: (b) => call("POST", "/v1/commands", b),
    leader: (group) => call("GET", `/v1/leader?group=${encodeURIComponent(group)}`),
    status: () => call("GET", "/v1/status"),
    close: async () => {},
  };
}

function agentParams(q: AgentQuery): string {
  const p = new URLSearchParams();
  for (const c of q.capabilities ?? []) p.append("capability", c);
  if (q.near) p.set("near", `${q.near.x},${q.near.y},${q.near.radius}`);
  if (q.status) p.set("status", [q.status].flat().join(","));
  if (q.limit) p.set("limit", String(q.limit));
  const s = p.toString();
  return s ? `?${s}` : "";
}
