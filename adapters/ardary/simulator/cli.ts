// `ardary-bridge simulator` and `ardary-bridge simulate sms|call`: a local Ardary for trying the
// bridge without an account, and a way to make it send the bridge an SMS or a call.
import { parseArgs } from "node:util";
import type { CommandContext, ProviderTrial } from "../../../src/contracts.ts";
import type { ArdaryConfig } from "../descriptor.ts";

export const SIMULATOR_HELP = `Usage: ardary-bridge simulator [--port 4010] [--callback <url>]

Runs a local Ardary API at http://127.0.0.1:<port>/api. Point the bridge at it with
ARDARY_API_URL=http://127.0.0.1:<port>/api; the access key and login are ARDARY_ACCESS_KEY and
ARDARY_LOGIN (or sim-key / sim@example.com). --callback defaults to the bridge's callback URL.`;

export const SIMULATE_HELP = `Usage: ardary-bridge simulate sms --from <number> --text <text> [--simulator <url>]
       ardary-bridge simulate call --from <number> [--simulator <url>]

Asks a running simulator (default http://127.0.0.1:4010) to call the bridge back.`;

export async function runSimulator(
  args: string[],
  config: ArdaryConfig | null,
  context?: CommandContext,
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
    // By default, the bridge's own callback URL, read as `callback-url` reads it.
    callbackUrl: values.callback ?? (await context?.bridgeCallbackUrl()),
  });
  console.log(
    `Ardary simulator at ${sim.apiUrl}\n  ARDARY_API_URL=${sim.apiUrl} ARDARY_ACCESS_KEY=${accessKey} ARDARY_LOGIN=${login}`,
  );
  console.log(
    sim.callbackUrl
      ? `  calls back ${sim.callbackUrl.replace(/\/callback\/.*/, "/callback/<secret>")}`
      : "  no callback URL: pass --callback (`ardary-bridge callback-url` prints the bridge's)",
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

/** The simulator as the provider of a trial: port 4010 (or a free one), sim credentials. */
export async function simulatorTrial(): Promise<ProviderTrial> {
  const { startSimulator } = await import("./index.ts");
  const options = { accessKey: "sim-key", login: "sim@example.com" };
  const sim = await startSimulator({ ...options, port: 4010 }).catch(() =>
    startSimulator({ ...options, port: 0 }),
  );
  return {
    url: sim.url,
    env: {
      ARDARY_API_URL: sim.apiUrl,
      ARDARY_ACCESS_KEY: options.accessKey,
      ARDARY_LOGIN: options.login,
      // The simulator plays the provider: "prod" makes it answer with delivery statuses.
      ARDARY_MODE: "prod",
    },
    connect: (url) => sim.setCallbackUrl(url),
    customerWrites: async (from, text) => {
      await sim.inbound(from, text);
    },
    close: () => sim.close(),
  };
}
