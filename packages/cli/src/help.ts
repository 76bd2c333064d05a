import { DEFAULT_HTTP_PORT, DEFAULT_MQTT_PORT } from "./config.js";

const SERVER = `  -s, --server URL    the swarm: http://host:port (a node's control API) or nats://host:port
                      (default: $SWARM_SERVER, else http://127.0.0.1:${DEFAULT_HTTP_PORT})
      --store S       over NATS: where elections are (nats-kv, default, or redis://…)
      --timeout-ms N  deadline of each call (default 5000)
      --json          machine-readable output (a stable contract)
  -h, --help`;

/** Help texts by command; "" is the overview. */
export const HELP: Record<string, string> = {
  "": `swarm — run and operate a Swarmlink swarm

usage: swarm <command> [options]

Run a swarm:
  up                  a swarm node with its MQTT listener and HTTP endpoint (embedded or over NATS)
  demo                an embedded swarm with a simulated fleet and tasks (what 'npm start' runs)

Operate a running swarm (--server URL):
  agents              list agents (--watch, --capability, --near x,y,r)
  tasks               submit | ls | show | cancel | watch
  command             send a command to an agent
  leader              who leads an election group (holder, fencing token, since)
  top                 live summary: agents by state, tasks, throughput
  pub | sub | req     raw subjects (NATS only)

Repository tools:
  schema check        lint the protobuf schemas and check for breaking changes
  bench [suite…]      run the benchmark suites

Exit codes: 0 ok, 1 failure, 2 usage. 'swarm <command> --help' for details.

Examples:
  swarm demo
  swarm agents
  swarm tasks submit --capability lift --payload '{"bin":4}'
`,
  up: `usage: swarm up [options]

Runs a swarm node (registry, election, dispatcher, commands) with the MQTT gateway (listener) and
the HTTP endpoint (GET /metrics, /healthz, /readyz, /v1/status and the control API /v1/…), until
SIGINT/SIGTERM, then drains (node, gateway, HTTP, Bus, Store).

  --nats URL          join a distributed swarm over NATS (comma-separated URLs)  [SWARM_NATS]
                      default: embedded (memory Bus)
  --store S           memory (default embedded), nats-kv (default with --nats), redis://…  [SWARM_STORE]
  --mqtt-port N       MQTT listener port, 0 = off, auto = any free port (default ${DEFAULT_MQTT_PORT})  [SWARM_MQTT_PORT]
  --http-port N       HTTP port, 0 = off, auto = any free port (default ${DEFAULT_HTTP_PORT})  [SWARM_HTTP_PORT]
  --host H            address to bind (default 127.0.0.1)  [SWARM_HOST]
  --node-id ID        this node's id (default node-<random>)  [SWARM_NODE_ID]
  --lease-ms N        coordinator lease (default 2000)  [SWARM_LEASE_MS]
  -c, --config FILE   JSON file with keys nodeId, nats, store, mqttPort, httpPort, host, leaseMs
                      [SWARM_CONFIG]; YAML or JSON. Flags beat variables beat the file.
  --json              print the endpoints as one JSON line once ready
  -h, --help

Examples:
  swarm up
  swarm up --nats nats://127.0.0.1:4222 --node-id node-a --http-port 8421
  swarm up --mqtt-port auto --http-port auto --json
`,
  demo: `usage: swarm demo [options]

An embedded swarm (as 'swarm up') plus a simulated fleet: MQTT firmware robots (plain mqtt.js,
capabilities move,lift) and SDK bots bound to XState behaviours (worker and batteryAware,
capability deliver), with tasks submitted every second (queue and auction). Prints what happens.

  --robots N          firmware robots over MQTT (default 3; needs the MQTT listener)
  --bots N            SDK bots (default 4)
  --rate N            tasks per second (default 1)
  --quiet             no live log
  and every option of 'swarm up' (default ports ${DEFAULT_MQTT_PORT} and ${DEFAULT_HTTP_PORT})

Example:
  swarm demo --http-port 8420 --robots 5
`,
  agents: `usage: swarm agents [options]

  --capability C      only agents with C (repeat or comma-separate for all of several)
  --near x,y,r        only agents within r metres of (x, y)
  --status S          online, suspect, offline (comma-separated)
  -w, --watch         refresh every second
${SERVER}

--json prints an array of {id, kind, capabilities, status, attributes, position, credits,
inFlight, epoch, lastSeenMs, displayName, softwareVersion}.

Examples:
  swarm agents
  swarm agents --capability lift --near 0,0,25 --json
  swarm agents --server nats://127.0.0.1:4222 --watch
`,
  tasks: `usage: swarm tasks <submit|ls|show|cancel|watch> [ID] [options]

  submit              --capability C (repeatable) [--kind K] [--payload JSON] [--strategy queue|auction|direct]
                      [--agent ID (direct)] [--priority 0-9] [--at x,y] [--key IDEMPOTENCY-KEY]
                      --json prints {"id"}
  ls                  [--limit N] [--state S]  the tasks the leader holds, newest first
  show ID             --json has id, kind, state, wireState, assignee, attempts, strategy, result, error…
  cancel ID           [--reason TEXT]
  watch ID            print each change until the task finishes (exit 0 if it succeeded)
${SERVER}

States: pending, offered, assigned, running, succeeded, timed_out, cancelled, dead_lettered.

Examples:
  swarm tasks submit --capability lift --payload '{"bin":4}' --json
  swarm tasks ls
  swarm tasks watch 01J…
`,
  command: `usage: swarm command AGENT NAME [ARGS-JSON] [options]

Sends a command through the swarm's command router; prints the receipt (REPLIED with the agent's
reply, or QUEUED/DELIVERED when the agent is offline or slow). Exit 0 when it replied OK.

  --ttl MS            how long the command stays valid (default: the timeout)
  --key K             idempotency key (same key, same command)
${SERVER}

Examples:
  swarm command amr-1 where
  swarm command amr-1 echo '{"hello":"robot"}'
`,
  leader: `usage: swarm leader [GROUP] [options]

The holder, fencing token and start of the current term of an election group (default
coordinator). Over NATS it reads the election from the Store (--store; NATS KV by default).
--json prints {"group","holder","token","since"} (since: ms since the epoch). Exit 1 with no leader.
${SERVER}

Example:
  swarm leader --json
`,
  top: `usage: swarm top [options]

A live summary (refreshed every second): the leader, agents by state, tasks by state, finished
tasks and tasks/s, dispatcher and command counters. From the node's /v1/status over HTTP; over
NATS a summary of the agent and task lists.

  --once              print once and exit
${SERVER}
`,
  pub: `usage: swarm pub SUBJECT [DATA] --server nats://…   publish UTF-8 DATA on a subject\n${SERVER}\n`,
  sub: `usage: swarm sub SUBJECT [--count N] --server nats://…   print messages (Envelopes decoded)\n${SERVER}\n\nExample:\n  swarm sub 'swarm.v1.>' --server nats://127.0.0.1:4222\n`,
  req: `usage: swarm req SUBJECT [DATA] --server nats://…   send a request, print the reply\n${SERVER}\n`,
  schema: `usage: swarm schema check [--against DIR | --against-ref REF]

Runs the repository's schemas check (buf lint, then buf breaking against a baseline). Inside the
Swarmlink repository only.
`,
  bench: `usage: swarm bench [suite…] [--json]

Runs the repository's benchmark suites (bench/run.ts; 'swarm bench --help' lists them). Inside the
Swarmlink repository only; build first (npm run build).
`,
};
