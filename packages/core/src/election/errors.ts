import { SwarmError } from "@swarmlink/protocol";

/** `E_FENCED`: `candidateId` does not lead `group`; context names who does, as far as it knows. */
export function notLeaderError(
  group: string,
  candidateId: string,
  holder: string | undefined,
  token: number | undefined,
): SwarmError {
  return new SwarmError("E_FENCED", `${candidateId} does not lead ${group}`, {
    group,
    candidateId,
    holder,
    token,
  });
}

/** `E_CLOSED` for a wait that can no longer end in leadership. */
export function notCampaigningError(group: string, cause?: unknown): SwarmError {
  const why = cause === undefined ? "this candidate resigned or closed" : "the store is closed";
  return new SwarmError("E_CLOSED", why, { group }, { cause });
}
