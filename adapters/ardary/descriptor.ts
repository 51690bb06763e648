// Ardary as the bridge's SMS provider: its variables, and the provider built from them.
import { z } from "zod";
import { optionalVar, type SmsProviderDescriptor } from "../../src/contracts/index.ts";
import { senderProblem } from "./sender.ts";

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

function isLocal(url: string): boolean {
  const host = new URL(url).hostname;
  return host === "localhost" || host.startsWith("127.") || host === "[::1]";
}

const env = {
  ARDARY_API_URL: z.url().default("https://www.ardary-sms.com/api"),
  ARDARY_ACCESS_KEY: optionalVar,
  ARDARY_LOGIN: optionalVar,
  /** The sender name the handset shows (a route's `--sender` wins); checked against Ardary's rule. */
  ARDARY_SENDER_NAME: optionalVar.superRefine((v, ctx) => {
    const problem = v === undefined ? undefined : senderProblem(v);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }),
  /** `sender_mode`, sent with every sender name; "1" (Ardary's examples) when unset. */
  ARDARY_SENDER_MODE: optionalVar.pipe(
    z
      .string()
      .regex(/^\d{1,3}$/, "a number")
      .optional(),
  ),
  /**
   * `addReply: 1` on every SMS sent under a sender name, unless false: with an alphanumeric
   * sender, a customer can answer only through Ardary's reply mechanism.
   */
  ARDARY_ADD_REPLY: optionalVar.pipe(z.stringbool().optional()),
  ARDARY_MODE: z.enum(["test", "prod"]).default("test"),
  ARDARY_TIMEZONE: z
    .string()
    .default("Europe/Paris")
    .refine((tz) => isTimeZone(tz), "unknown time zone"),
  ARDARY_CALLBACK_SECRET: optionalVar.pipe(z.string().min(16).optional()),
  ARDARY_BATCH_SIZE: z.coerce.number().int().positive().default(100).pipe(z.number().max(1000)),
  /** Deadline of one request to Ardary, in ms: past it, the outcome of its SMS is unknown. */
  ARDARY_TIMEOUT_MS: z.coerce.number().int().positive().default(15_000),
};

export type ArdaryConfig = z.infer<z.ZodObject<typeof env>>;

export const ardary: SmsProviderDescriptor<typeof env, ArdaryConfig> = {
  kind: "sms",
  name: "ardary",
  label: "Ardary",
  env,
  hints: {
    ARDARY_API_URL: "the Ardary API base URL, https://www.ardary-sms.com/api",
    ARDARY_MODE: '"test" (answers without sending) or "prod"',
    ARDARY_TIMEZONE: "an IANA zone such as Europe/Paris",
    ARDARY_BATCH_SIZE: "a whole number of SMS per sendSms request, 1 to 1000",
    ARDARY_CALLBACK_SECRET: "a random string of 16+ characters, e.g. `openssl rand -hex 16`",
    ARDARY_SENDER_NAME:
      "the name the handset shows, 3 to 11 letters (A-Z) and digits with at least one letter, e.g. Acme",
    ARDARY_SENDER_MODE:
      "Ardary's sender mode, a number (1 unless your Ardary account says otherwise)",
    ARDARY_ADD_REPLY:
      "true (the default: customers can answer SMS sent under a sender name) or false",
  },
  requires: () => [],
  configure: (values) => values,
  howToEnable: "set ARDARY_ACCESS_KEY and ARDARY_LOGIN (Ardary dashboard, Parameters > API)",
  callbackPath: "ardary",
  callbackWhere: "Ardary's dashboard, Parameters > API",
  timezoneVar: "ARDARY_TIMEZONE",
  settings: (c) => ({
    batchSize: c.ARDARY_BATCH_SIZE,
    callbackSecret: c.ARDARY_CALLBACK_SECRET,
    timezone: c.ARDARY_TIMEZONE,
  }),
  warnings: (c) => [
    ...(!c.ARDARY_ACCESS_KEY || !c.ARDARY_LOGIN
      ? [
          "ARDARY_ACCESS_KEY and ARDARY_LOGIN are not set: SMS will fail until they are (Ardary dashboard, Parameters > API)",
        ]
      : []),
    ...(c.ARDARY_SENDER_NAME && c.ARDARY_ADD_REPLY === false
      ? [
          `ARDARY_SENDER_NAME is set (${c.ARDARY_SENDER_NAME}) without replies (ARDARY_ADD_REPLY=false): customers cannot answer SMS sent under a sender name, so their answers never reach the threads; unset ARDARY_ADD_REPLY to turn Ardary's reply mechanism on`,
        ]
      : []),
  ],
  unconfigured(c) {
    const missing = [
      ...(c.ARDARY_ACCESS_KEY ? [] : ["ARDARY_ACCESS_KEY"]),
      ...(c.ARDARY_LOGIN ? [] : ["ARDARY_LOGIN"]),
    ];
    if (missing.length === 0) return undefined;
    return `set ${missing.join(" and ")} (Ardary dashboard, Parameters > API; the access key is e-mailed to the account owner)`;
  },
  testMode: (c) =>
    c.ARDARY_MODE === "test" && c.ARDARY_ACCESS_KEY && c.ARDARY_LOGIN && !isLocal(c.ARDARY_API_URL)
      ? {
          warning:
            "ARDARY_MODE is test: Ardary answers every send without sending anything, no SMS reaches a phone; set ARDARY_MODE=prod to send",
          notice: "ARDARY_MODE is test: Ardary answers without sending, no SMS reaches the phone",
        }
      : undefined,
  isLocal: (c) => isLocal(c.ARDARY_API_URL),
  // The setup page's lines: the credentials and the mode (Ardary has no call to check them
  // without sending: the last send, the core's line, says whether they work).
  setupLines: (c) => {
    if (!c) return [];
    const local = isLocal(c.ARDARY_API_URL);
    const credentials =
      c.ARDARY_ACCESS_KEY && c.ARDARY_LOGIN
        ? ({
            id: "credentials",
            label: "Credentials",
            state: "ok",
            found: "ARDARY_ACCESS_KEY and ARDARY_LOGIN are set",
          } as const)
        : ({
            id: "credentials",
            label: "Credentials",
            state: "fail",
            found: "ARDARY_ACCESS_KEY and ARDARY_LOGIN are not set: every SMS fails",
            todo: "set ARDARY_ACCESS_KEY and ARDARY_LOGIN (Ardary dashboard, Parameters > API; the access key is mailed to the account's owner)",
          } as const);
    const mode = local
      ? ({
          id: "mode",
          label: "Mode",
          state: "warn",
          found: `a local stand-in (ARDARY_API_URL ${c.ARDARY_API_URL}): nothing leaves this machine`,
          todo: "unset ARDARY_API_URL to send through Ardary",
        } as const)
      : c.ARDARY_MODE === "test"
        ? ({
            id: "mode",
            label: "Mode",
            state: "warn",
            found:
              "test: Ardary answers every send without sending anything, no SMS reaches a phone",
            todo: "set ARDARY_MODE=prod to send",
          } as const)
        : ({
            id: "mode",
            label: "Mode",
            state: "ok",
            found: "prod: SMS reach the phones",
          } as const);
    return [credentials, mode];
  },
  async standIn(port) {
    const { startSimulator } = await import("./simulator/index.ts");
    const options = { accessKey: "sim-key", login: "sim@example.com" };
    const sim = await startSimulator({ ...options, port }).catch(() =>
      startSimulator({ ...options, port: 0 }),
    );
    return {
      url: sim.url,
      // The simulator plays the provider: "prod" makes it answer with delivery statuses.
      env: {
        ARDARY_API_URL: sim.apiUrl,
        ARDARY_ACCESS_KEY: options.accessKey,
        ARDARY_LOGIN: options.login,
        ARDARY_MODE: "prod",
      },
      setCallbackUrl: (url) => sim.setCallbackUrl(url),
      inbound: (from, text) => sim.inbound(from, text),
      close: () => sim.close(),
    };
  },
  async create(c, services) {
    const { createArdaryProvider } = await import("./provider.ts");
    return createArdaryProvider({
      apiUrl: c.ARDARY_API_URL,
      accessKey: c.ARDARY_ACCESS_KEY,
      login: c.ARDARY_LOGIN,
      senderName: c.ARDARY_SENDER_NAME,
      senderMode: c.ARDARY_SENDER_MODE,
      addReply: c.ARDARY_ADD_REPLY !== false,
      mode: c.ARDARY_MODE,
      timezone: c.ARDARY_TIMEZONE,
      timeoutMs: c.ARDARY_TIMEOUT_MS,
      logger: services.log,
    });
  },
  commands: (c) => ({
    simulator: {
      summary: "run a local Ardary API for development",
      help: async () => (await import("./simulator/cli.ts")).SIMULATOR_HELP,
      run: async (args) => (await import("./simulator/cli.ts")).runSimulator(args, c),
    },
    simulate: {
      summary: "ask a running simulator to deliver an incoming SMS (sms) or call (call)",
      help: async () => (await import("./simulator/cli.ts")).SIMULATE_HELP,
      run: async (args) => (await import("./simulator/cli.ts")).runSimulate(args),
    },
  }),
};
