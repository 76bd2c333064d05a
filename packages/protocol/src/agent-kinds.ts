import { AgentKind } from "./messages.js";

/**
 * The names of the agent kinds as people and firmware write them (SDK options, the MQTT register
 * payload, the CLI), each to its `AgentKind`.
 */
export const AGENT_KIND_NAMES: Readonly<Record<string, AgentKind>> = Object.freeze({
  robot: AgentKind.AGENT_KIND_ROBOT,
  bot: AgentKind.AGENT_KIND_BOT,
  service: AgentKind.AGENT_KIND_SERVICE,
  gateway: AgentKind.AGENT_KIND_GATEWAY,
  operator: AgentKind.AGENT_KIND_OPERATOR,
});

/**
 * The `AgentKind` a name stands for, or undefined for any other string — "constructor" and the
 * like included (own names only).
 */
export function agentKindOf(name: string): AgentKind | undefined {
  return Object.hasOwn(AGENT_KIND_NAMES, name) ? AGENT_KIND_NAMES[name] : undefined;
}
