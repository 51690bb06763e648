// The setup page's lines that come from the configuration alone (each descriptor's setupLines),
// the Slack manifest made for one bridge (and the repository's copy, kept the same), and the
// core's small rules: a part's state is its worst line's, times read as people say them.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ardary } from "../../../adapters/ardary/descriptor.ts";
import { discord } from "../../../adapters/discord/descriptor.ts";
import { slack } from "../../../adapters/slack/descriptor.ts";
import { manifestTemplate, slackManifest } from "../../../adapters/slack/manifest.ts";
import { loadEnv } from "../../../src/boot/env.ts";
import { ago, worst } from "../../../src/boot/setup.ts";
import type { SetupContext, SetupLine } from "../../../src/contracts/index.ts";

const ctx = (publicUrl?: string, guessed = false): SetupContext => ({
  publicUrl,
  guessed,
  remote: () => Promise.reject(new Error("no call out from a configuration's lines")),
  ago: (at) => ago(at),
});

const byId = (lines: SetupLine[]) => Object.fromEntries(lines.map((l) => [l.id, l]));

/** A descriptor's configuration as the environment makes it. */
function configOf(name: string, source: Record<string, string>) {
  return loadEnv({ DATA_DIR: "memory://", ...source }).adapters[name];
}

describe("Ardary's lines", () => {
  const lines = (source: Record<string, string>) =>
    byId(ardary.setupLines?.(configOf("ardary", source) as never, ctx()) ?? []);

  it("credentials ✓ set, ✗ missing; mode ✓ prod, ⚠️ test, ⚠️ a local stand-in", () => {
    const creds = { ARDARY_ACCESS_KEY: "key-123456", ARDARY_LOGIN: "a@example.com" };
    expect(lines({ ...creds, ARDARY_MODE: "prod" })).toMatchObject({
      credentials: { state: "ok" },
      mode: { state: "ok", found: "prod: SMS reach the phones" },
    });
    const test = lines({ ...creds, ARDARY_MODE: "test" });
    expect(test.mode).toMatchObject({ state: "warn", todo: "set ARDARY_MODE=prod to send" });
    expect(test.mode?.found).toContain("no SMS reaches a phone");
    expect(lines({ ...creds, ARDARY_API_URL: "http://127.0.0.1:4010/api" }).mode).toMatchObject({
      state: "warn",
    });
    const missing = lines({ ARDARY_MODE: "prod" });
    expect(missing.credentials).toMatchObject({ state: "fail" });
    expect(missing.credentials?.todo).toContain("ARDARY_ACCESS_KEY and ARDARY_LOGIN");
    expect(JSON.stringify(test)).not.toContain("key-123456");
  });
});

describe("Slack's lines", () => {
  const on = { SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "s", SLACK_CHANNEL: "C0GENERAL" };
  const lines = (source: Record<string, string> | null, c: SetupContext) =>
    byId(slack.setupLines?.(source ? (configOf("slack", source) as never) : null, c) ?? []);

  it("how events arrive: Socket Mode ✓; an https events URL ✓; http or none ⚠️", () => {
    const socket = lines({ ...on, SLACK_APP_TOKEN: "xapp-1" }, ctx());
    expect(socket.connection).toMatchObject({ state: "ok" });
    expect(socket.connection?.found).toContain("Socket Mode");
    expect(lines(on, ctx("https://sms.example.com")).connection).toMatchObject({
      state: "ok",
      found: "events URL https://sms.example.com/slack/events",
    });
    expect(lines(on, ctx("http://10.0.0.2:3000", true)).connection).toMatchObject({
      state: "warn",
    });
    expect(lines(on, ctx()).connection?.todo).toContain("set PUBLIC_URL");
  });

  it("the manifest: a link on this bridge, or the Socket Mode one where Slack cannot reach; off while Slack is off", () => {
    expect(lines(on, ctx("https://sms.example.com")).manifest).toMatchObject({
      state: "ok",
      link: { href: "/setup/slack-manifest.yml" },
      command: "npx ardary-bridge slack manifest",
    });
    expect(lines(on, ctx("http://localhost:3000", true)).manifest?.link?.href).toBe(
      "/setup/slack-manifest.yml?mode=socket",
    );
    const off = lines(null, ctx("https://sms.example.com"));
    expect(Object.keys(off)).toEqual(["manifest"]);
    expect(off.manifest?.state).toBe("off");
  });
});

describe("Discord's lines", () => {
  it("the invite link carries the application id and the bot's permissions; off without them", () => {
    const config = configOf("discord", {
      DISCORD_BOT_TOKEN: "t",
      DISCORD_APPLICATION_ID: "123456789012345678",
      DISCORD_CHANNEL: "223456789012345678",
    });
    const [invite] = discord.setupLines?.(config as never, ctx()) ?? [];
    expect(invite).toMatchObject({
      state: "ok",
      link: {
        href: "https://discord.com/oauth2/authorize?client_id=123456789012345678&scope=bot+applications.commands&permissions=326417632320",
      },
    });
    const [off] = discord.setupLines?.(null, ctx()) ?? [];
    expect(off).toMatchObject({ state: "off" });
    expect(off?.link).toBeUndefined();
  });
});

describe("the Slack manifest", () => {
  it("the repository's copy is the manifest with YOUR-HOST for the address", () => {
    expect(readFileSync("adapters/slack/manifest.yml", "utf8")).toBe(manifestTemplate());
  });

  it("made for a bridge: its events URL three times, no YOUR-HOST; Socket Mode: no URL at all", () => {
    const made = slackManifest("https://sms.example.com/", { note: "a word at the top" });
    expect(made.match(/https:\/\/sms\.example\.com\/slack\/events/g)).toHaveLength(3);
    expect(made).not.toContain("YOUR-HOST");
    expect(made).toMatch(/^# a word at the top$/m);
    expect(made).toContain("socket_mode_enabled: false");
    const socket = slackManifest(undefined, { socketMode: true });
    expect(socket).not.toMatch(/request_url|url:|YOUR-HOST/);
    expect(socket).toContain("socket_mode_enabled: true");
    expect(socket).toContain("SLACK_APP_TOKEN");
  });
});

describe("the core's rules", () => {
  it("a part is its worst line; off lines count for nothing", () => {
    const l = (state: SetupLine["state"]): SetupLine => ({
      id: state,
      label: "",
      state,
      found: "",
    });
    expect(worst([l("ok"), l("warn"), l("off")])).toBe("warn");
    expect(worst([l("ok"), l("fail"), l("warn")])).toBe("fail");
    expect(worst([l("off"), l("ok")])).toBe("ok");
    expect(worst([l("off")])).toBe("off");
  });

  it("times as people say them", () => {
    const now = Date.parse("2026-12-01T12:00:00Z");
    const earlier = (s: number) => new Date(now - s * 1000);
    expect(ago(earlier(10), now)).toBe("just now");
    expect(ago(earlier(5 * 60), now)).toBe("5 min ago");
    expect(ago(earlier(3 * 3600), now)).toBe("3 h ago");
    expect(ago(earlier(3 * 86_400), now)).toBe("3 days ago");
  });
});
