// Pure pieces of the core: configuration, phone numbers, STOP/START, and /sms parsing.
import { describe, expect, it } from "vitest";
import { EnvError, loadEnv } from "../../src/boot/env.ts";
import { parseSmsCommand, usage } from "../../src/flows/command.ts";
import { formatPhone, maskPhone, toE164 } from "../../src/kernel/phone.ts";

describe("configuration", () => {
  it("boots with nothing set: PGlite, test mode, no chat platform", () => {
    const env = loadEnv({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.DATA_DIR).toBe(".data");
    expect(env.values.ARDARY_MODE).toBe("test");
    expect(env.values.ARDARY_BATCH_SIZE).toBe(100);
    expect(env.adapters.slack).toBeNull();
    expect(env.adapters.discord).toBeNull();
    expect(env.chat).toEqual([]);
    expect(env.sms.descriptor.name).toBe("ardary");
  });

  it("lists every problem at once, each with where to find the value", () => {
    let error: unknown;
    try {
      loadEnv({
        PORT: "x",
        ARDARY_MODE: "live",
        SLACK_BOT_TOKEN: "xoxb-1",
        DATABASE_URL: "mysql://h/db",
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvError);
    const problems = (error as EnvError).problems.join("\n");
    for (const key of [
      "PORT",
      "ARDARY_MODE",
      "DATABASE_URL",
      "SLACK_SIGNING_SECRET",
      "SLACK_CHANNEL",
    ]) {
      expect(problems).toContain(key);
    }
    expect(problems).toContain("Signing Secret");
  });

  it("turns a platform on only when its three variables are set", () => {
    const env = loadEnv({
      SLACK_BOT_TOKEN: "xoxb-1",
      SLACK_SIGNING_SECRET: "s",
      SLACK_CHANNEL: "C1",
    });
    expect(env.chat.map((c) => c.descriptor.name)).toEqual(["slack"]);
    expect(env.adapters.slack).toEqual({
      botToken: "xoxb-1",
      signingSecret: "s",
      channel: "C1",
      apiUrl: undefined,
    });
  });
});

describe("phone numbers", () => {
  it("normalises every international form to E.164 and refuses what is not a number", () => {
    expect(toE164("+33 6 12 34 56 78")).toBe("+33612345678");
    expect(toE164("0033612345678")).toBe("+33612345678");
    expect(toE164("33612345678")).toBe("+33612345678");
    expect(toE164("+1 (555) 000-1111")).toBe("+15550001111");
    expect(toE164("hello")).toBeNull();
    expect(toE164("+12")).toBeNull();
  });

  it("masks for logs and formats for people", () => {
    expect(maskPhone("+33612345678")).toBe("+336******78");
    expect(formatPhone("+33612345678")).toBe("+33 6 12 34 56 78");
  });
});

describe("/sms", () => {
  const now = new Date("2026-11-27T10:00:00Z");
  const parseLocalDate = (v: string) => (Number.isNaN(Date.parse(v)) ? null : new Date(v));
  const USAGE = usage("[Link]");
  const parse = (args: string) =>
    parseSmsCommand(args, { parseLocalDate, linkPlaceholder: "[Link]" }, [], now);

  it("reads the number, the text and the options", () => {
    expect(parse("+15551234567 Hello there")).toEqual({
      ok: true,
      phone: "+15551234567",
      text: "Hello there",
      priority: "normal",
      marketing: false,
    });
    expect(
      parse(
        '+15551234567 --at "2026-12-01T09:00:00Z" --priority high --link https://x.io/a Track [Link] here',
      ),
    ).toEqual({
      ok: true,
      phone: "+15551234567",
      text: "Track [Link] here",
      sendAt: new Date("2026-12-01T09:00:00Z"),
      link: "https://x.io/a",
      priority: "high",
      marketing: false,
    });
    expect(parse("--link https://x.io +15551234567 See")).toMatchObject({
      ok: true,
      text: "See [Link]",
    });
    // `--marketing` takes no value; inside the text it is text.
    expect(parse("+15551234567 --marketing Summer sale --marketing")).toMatchObject({
      ok: true,
      text: "Summer sale --marketing",
      marketing: true,
    });
    expect(parse("--marketing +15551234567 Sale")).toMatchObject({ ok: true, marketing: true });
  });

  it("explains usage for help and each mistake, sending nothing", () => {
    expect(parse("")).toEqual({ ok: false, message: USAGE });
    expect(parse("help")).toEqual({ ok: false, message: USAGE });
    const cases: Record<string, RegExp> = {
      "12 hello": /not a phone number/,
      "+15551234567": /empty/,
      "+15551234567 --colour red hi": /Unknown option `--colour`/,
      "+15551234567 --at tomorrow hi": /not a date/,
      '+15551234567 --at "2020-01-01T00:00:00Z" hi': /in the past/,
      "+15551234567 --link ftp://x hi": /not an http/,
      "+15551234567 --priority urgent hi": /low, normal or high/,
      "+15551234567 --at": /needs a value/,
    };
    for (const [args, reason] of Object.entries(cases)) {
      const r = parse(args);
      expect(r.ok, args).toBe(false);
      if (!r.ok) {
        expect(r.message, args).toMatch(reason);
        expect(r.message, args).toContain("Send an SMS");
      }
    }
  });
});
