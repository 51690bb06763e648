// Configuration (src/boot/env.ts): what boots with nothing set, every problem listed at once,
// and a chat platform turned on by its variables.
import { describe, expect, it } from "vitest";
import { EnvError, loadEnv } from "../../../src/boot/env.ts";

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

  it("speaks English unless BRIDGE_LANGUAGE says French; another language lists the languages", () => {
    expect(loadEnv({}).BRIDGE_LANGUAGE).toBe("en");
    expect(loadEnv({ BRIDGE_LANGUAGE: "fr" }).BRIDGE_LANGUAGE).toBe("fr");
    expect(loadEnv({ BRIDGE_LANGUAGE: " FR " }).BRIDGE_LANGUAGE).toBe("fr");
    let error: unknown;
    try {
      loadEnv({ BRIDGE_LANGUAGE: "de" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EnvError);
    const problems = (error as EnvError).problems.join("\n");
    expect(problems).toContain("BRIDGE_LANGUAGE");
    expect(problems).toContain("en, fr");
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
