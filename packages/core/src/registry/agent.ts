import type { swarmlink } from "@swarmlink/protocol";
import type { AgentRecord } from "../types.js";
import { kindName, pointOf, statusCode, statusName } from "./convert.js";
import type { GeoOrigin } from "./geo.js";

/** An AgentInfo as encoded or decoded (a plain object or a generated message). */
export type AgentInfoInit = swarmlink.v1.AgentInfo.$Properties;
/** An AgentDescriptor as encoded or decoded. */
export type DescriptorInit = swarmlink.v1.AgentDescriptor.$Properties;

/**
 * What the index holds for one agent: the core's AgentRecord plus what the wire's AgentInfo adds.
 * Each is an immutable snapshot; the index replaces it on every change, so callers may keep it.
 */
export interface IndexedAgent extends AgentRecord {
  displayName: string;
  /** Tasks in flight, from the agent's latest heartbeat of this epoch. */
  inFlight: number;
  /** Why the status last changed, e.g. "registered", "heartbeat overdue". */
  reason: string;
  /** When the agent entered its status, ms since the Unix epoch. */
  sinceMs: number;
}

/**
 * Reads a stored AgentInfo into an IndexedAgent; undefined when it lacks a descriptor, an id, or a
 * known presence status (a record no registry wrote).
 */
export function agentFromInfo(info: AgentInfoInit, origin: GeoOrigin | undefined): IndexedAgent | undefined {
  const d = info.descriptor;
  const p = info.presence;
  const status = statusName(p?.status);
  if (!d?.id || !p || !status) return undefined;
  return Object.freeze({
    id: d.id,
    kind: kindName(d.kind),
    capabilities: Object.freeze([...(d.capabilities ?? [])]) as string[],
    attributes: Object.freeze({ ...(d.attributes ?? {}) }),
    position: pointOf(d.position, origin),
    credits: d.credits ?? 0,
    awardBatches: d.awardBatches === true,
    softwareVersion: d.softwareVersion ?? "",
    displayName: d.displayName ?? "",
    status,
    epoch: Number(p.epoch ?? 0),
    seq: p.seq ?? 0,
    registeredAtMs: Number(info.registeredMs ?? 0),
    lastSeenMs: Number(info.lastSeenMs ?? 0),
    inFlight: info.inFlight ?? 0,
    reason: p.reason ?? "",
    sinceMs: Number(p.sinceMs ?? 0),
  });
}

/** A changed copy of a snapshot, frozen like the original. */
export function withChanges(a: IndexedAgent, changes: Partial<IndexedAgent>): IndexedAgent {
  return Object.freeze({ ...a, ...changes });
}

/** The wire AgentInfo of an agent; `descriptor` is the one registered, with its latest position. */
export function infoOf(a: IndexedAgent, descriptor: DescriptorInit): AgentInfoInit {
  return {
    descriptor,
    presence: {
      agentId: a.id,
      status: statusCode(a.status),
      epoch: a.epoch,
      seq: a.seq,
      reason: a.reason,
      sinceMs: a.sinceMs,
    },
    registeredMs: a.registeredAtMs,
    lastSeenMs: a.lastSeenMs,
    inFlight: a.inFlight,
  };
}
