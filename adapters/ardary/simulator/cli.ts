// `ardary-bridge simulator` and `ardary-bridge simulate sms|call`: a local Ardary for trying the
// bridge without an account, and a way to make it send the bridge an SMS or a call.
import { parseArgs } from "node:util";

export const SIMULATOR_HELP = `Usage: ardary-bridge simulator [--port 4010] [--callback <url>]

Runs a local Ardary API at http://127.0.0.1:<port>/api. Point the bridge at it with
ARDARY_API_URL=http://127.0.0.1:<port>/api; the access key and login are ARDARY_ACCESS_KEY and
ARDARY_LOGIN (or sim-key / sim@example.com). --callback defaults to the bridge's callback URL.`;

export const SIMULATE_HELP = `Usage: ardary-bridge simulate sms --from <number> --text <text> [--simulator <url>]
       ardary-bridge simulate call --from <number> [--simulator <url>]

Asks a running simulator (default http://127.0.0.1:4010) to call the bridge back.`;

/** The credentials the simulator plays with: the bridge's own when it has them. */
interface SimulatorCredentials {
  ARDARY_ACCESS_KEY?: string;
  ARDARY_LOGIN?: string;
}

export async function runSimulator(
  args: string[],
  config: SimulatorCredentials | null,
): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: "string", default: "4010" }, callback: { type: "string" } },
  });
  const accessKey = config?.ARDARY_ACCESS_KEY ?? "sim-key";
  const login = config?.ARDARY_LOGIN ?? "sim@example.com";
  const { startSimulator } = await import("./index.ts");
  const sim = await startSimulator({
    port: Number(values.port),
    accessKey,
    login,
    callbackUrl: values.callback,
  });
  console.log(
    `Ardary simulator at ${sim.apiUrl}\n  ARDARY_API_URL=${sim.apiUrl} ARDARY_ACCESS_KEY=${accessKey} ARDARY_LOGIN=${login}`,
  );
  if (!values.callback)
    console.log(
      "  no --callback given: pass the bridge's (`ardary-bridge callback-url`) to get callbacks",
    );
  const stop = () => void sim.close().then(() => process.exit(0));
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  return new Promise(() => {});
}

export async function runSimulate(args: string[]): Promise<number> {
  const [what, ...rest] = args;
  const { values } = parseArgs({
    args: rest,
    options: {
      from: { type: "string" },
      text: { type: "string" },
      simulator: { type: "string", default: "http://127.0.0.1:4010" },
    },
  });
  if (
    (what !== "sms" && what !== "call") ||
    !values.from ||
    (what === "sms" && values.text === undefined)
  ) {
    console.error(SIMULATE_HELP);
    return 2;
  }
  const path = what === "sms" ? "/_sim/inbound" : "/_sim/call";
  const body = what === "sms" ? { from: values.from, text: values.text } : { phone: values.from };
  const res = await fetch(`${values.simulator}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  console.log(`simulator: ${res.status} ${await res.text()}`);
  return res.ok ? 0 : 1;
}
