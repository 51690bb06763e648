// The setup page at `/` (src/http/setup-page.ts, src/boot/setup.ts), line by line, through the
// fakes: every state a line can take (✓ ⚠️ ✗) for the database, the SMS provider, Slack and
// Discord; the provider's "never called back" turning ✓ at its first callback; answers from
// Slack and Discord reused for a minute; a platform that never answers said as "no answer"
// while the page still answers; no secret, token, customer number or text on the page.
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { startFakeDiscord } from "../fakes/discord.ts";
import { startFakeSlack } from "../fakes/slack.ts";
import { TEST_DB } from "../support/db.ts";
import { discordEnv, startDiscord } from "../support/discord-setup.ts";
import { type Harness, SECRET, startHarness, until } from "../support/harness.ts";
import { get, lookAt } from "../support/setup-page.ts";
import { GENERAL, startSlackWorld } from "../support/slack-setup.ts";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function harness(o: Parameters<typeof startHarness>[0]): Promise<Harness> {
  const h = await startHarness(o);
  closers.push(() => h.close());
  return h;
}

/** What a PaaS router passes on: the app's public host, over https. */
const PUBLIC = { host: "sms.example.com", "x-forwarded-proto": "https" };

async function send(h: Harness, phone: string) {
  const db = h.bridge.database.db;
  await db.transaction((tx) =>
    h.bridge.bridge.queueSms(tx, { phone, text: "Your order", author: "t" }),
  );
}

describe("setup page: the database and the SMS provider", () => {
  it("says where the provider must call, that it never called, and ✓ once it has; no secret, number or text", async () => {
    // A provider that is not a local stand-in, in test mode; PUBLIC_URL unset.
    const h = await harness({
      env: { ARDARY_API_URL: "https://ardary.invalid/api", ARDARY_MODE: "test" },
    });
    let look = await lookAt(`${h.bridge.url}/`, PUBLIC);
    expect(look.status).toBe(200);
    expect(look.line("ardary", "credentials").state).toBe("ok");
    const mode = look.line("ardary", "mode");
    expect(mode.state).toBe("warn");
    expect(mode.text).toContain("no SMS reaches a phone");
    expect(mode.text).toContain("ARDARY_MODE=prod");
    const url = look.line("ardary", "callback-url");
    expect(url.state).toBe("warn");
    expect(url.text).toContain("https://sms.example.com/ardary/callback/<secret>");
    expect(url.text).toContain("PUBLIC_URL=https://sms.example.com");
    expect(url.text).toContain("npx ardary-bridge callback-url");
    const never = look.line("ardary", "last-callback");
    expect(never).toMatchObject({ state: "warn" });
    expect(never.text).toContain("never");
    expect(never.text).toMatch(/the URL in Ardary's dashboard, Parameters > API is wrong/);
    expect(look.line("ardary", "last-send").text).toContain("no SMS sent yet");
    expect(look.html).toContain("PUBLIC_URL is not set");

    expect(await h.sim.inbound("+33612345678", "Hello, is my parcel there?")).toBe(200);
    look = await lookAt(`${h.bridge.url}/`, PUBLIC);
    expect(look.line("ardary", "last-callback")).toMatchObject({ state: "ok" });
    expect(look.line("ardary", "last-callback").text).toContain("just now");
    for (const hidden of [SECRET, "33612345678", "6 12 34 56 78", "parcel"])
      expect(look.html).not.toContain(hidden);
  });

  it("PUBLIC_URL set, prod: the callback URL and the mode ✓; credentials missing ✗ and the page says to fix", async () => {
    const h = await harness({
      env: {
        ARDARY_API_URL: "https://ardary.invalid/api",
        PUBLIC_URL: "https://sms.example.com",
        ARDARY_ACCESS_KEY: "",
        ARDARY_LOGIN: "",
      },
    });
    const look = await lookAt(`${h.bridge.url}/`);
    expect(look.line("ardary", "callback-url").state).toBe("ok");
    expect(look.line("ardary", "callback-url").text).toContain(
      "https://sms.example.com/ardary/callback/<secret>",
    );
    expect(look.line("ardary", "mode")).toMatchObject({ state: "ok" });
    const credentials = look.line("ardary", "credentials");
    expect(credentials.state).toBe("fail");
    expect(credentials.text).toContain("ARDARY_ACCESS_KEY and ARDARY_LOGIN");
    expect(look.parts.get("ardary")?.state).toBe("fail");
    expect(look.html).toMatch(/<p class="summary" data-ok="false">1 thing to fix/);
    expect(look.html).not.toContain("PUBLIC_URL is not set");
  });

  it("the last send: ✓ accepted, ⚠️ refused with its reason but not the number", async () => {
    const h = await harness({ sim: { optedOut: ["+33611111111"] } });
    await send(h, "+33622222222");
    await until(
      async () => {
        const l = (await lookAt(`${h.bridge.url}/`)).line("ardary", "last-send");
        return l.state === "ok" && /accepted|sent|received/.test(l.text);
      },
      15_000,
      "the last send ✓",
    );
    await send(h, "+33611111111");
    const refused = await until(
      async () => {
        const l = (await lookAt(`${h.bridge.url}/`)).line("ardary", "last-send");
        return l.text.includes("failed") ? l : undefined;
      },
      15_000,
      "the last send ⚠️",
    );
    expect(refused.state).toBe("warn");
    expect(refused.text).not.toMatch(/611111111|6 11 11 11 11/);
    // The simulator is a local stand-in: its mode says nothing reaches a phone.
    const look = await lookAt(`${h.bridge.url}/`);
    expect(look.line("ardary", "mode")).toMatchObject({ state: "warn" });
    expect(look.line("ardary", "callback-url").state).toBe("ok");
  });

  it("the database answers; a job given up turns Jobs ⚠️ with the command; embedded on Heroku warns", async () => {
    const h = await harness({ env: { DYNO: "web.1" } });
    let look = await lookAt(`${h.bridge.url}/`);
    const connection = look.line("database", "connection");
    // On Postgres it just answers; PGlite here is in memory (and on "Heroku": its disk is wiped).
    if (TEST_DB === "postgres") {
      expect(connection.state).toBe("ok");
      expect(connection.text).toMatch(/Postgres \(postgres:\/\/postgres@.*\) answers/);
    } else {
      expect(connection.state).toBe("warn");
      expect(connection.text).toContain("Heroku wipes this disk");
      expect(connection.text).toContain("DATABASE_URL");
    }
    expect(look.line("database", "jobs").state).toBe("ok");
    await h.bridge.database.db.execute(
      sql`insert into jobs (kind, payload, state, attempts, last_error)
        values ('chat.deliver', '{}'::jsonb, 'dead', 10, 'gone')`,
    );
    look = await lookAt(`${h.bridge.url}/`);
    const jobs = look.line("database", "jobs");
    expect(jobs.state).toBe("warn");
    expect(jobs.text).toContain("1 given up");
    expect(jobs.text).toContain("npx ardary-bridge jobs retry --dead");
  });
});

describe("setup page: Slack", () => {
  async function world(o: Parameters<typeof startSlackWorld>[0] = {}) {
    const w = await startSlackWorld(o);
    closers.push(() => w.close());
    return w;
  }

  it("token, channel, connection and manifest ✓; Events ✓ once one arrives; Slack is asked once a minute", async () => {
    const w = await world({ env: { PUBLIC_URL: "https://sms.example.com" } });
    const url = `${w.h.bridge.url}/`;
    let look = await lookAt(url);
    expect(look.line("slack", "token")).toMatchObject({ state: "ok" });
    expect(look.line("slack", "token").text).toContain("bot @ardary-bridge");
    expect(look.line("slack", "channel")).toMatchObject({ state: "ok" });
    expect(look.line("slack", "channel").text).toContain("#general, the bot is in it");
    expect(look.line("slack", "connection").text).toContain(
      "events URL https://sms.example.com/slack/events",
    );
    const manifest = look.line("slack", "manifest");
    expect(manifest.state).toBe("ok");
    expect(manifest.html).toContain('href="/setup/slack-manifest.yml"');
    expect(manifest.text).toContain("npx ardary-bridge slack manifest");
    const events = look.line("slack", "events");
    expect(events.state).toBe("warn");
    expect(events.text).toContain("none received yet");
    expect(events.text).toContain("https://sms.example.com/slack/events");
    expect(look.parts.get("slack")?.state).toBe("warn");

    const asked = () =>
      w.fake.requests.filter((r) => r.method === "auth.test" || r.method === "conversations.info")
        .length;
    const event = w.fake.userMessage({ channel: GENERAL, user: "U0ALICE", text: "hi there" });
    expect((await w.fake.signer.sendEvent(w.events, event)).status).toBe(200);
    const before = asked();
    look = await lookAt(url);
    expect(look.line("slack", "events")).toMatchObject({ state: "ok" });
    expect(look.line("slack", "events").text).toContain("last received just now");
    expect(look.parts.get("slack")?.state).toBe("ok");
    expect(asked()).toBe(before); // the second look asked Slack nothing
    for (const hidden of [w.fake.botToken, w.fake.signingSecret, SECRET])
      expect(look.html).not.toContain(hidden);
  });

  it("a refused token is ✗ naming SLACK_BOT_TOKEN; the channel is not checked", async () => {
    const w = await world({ env: { SLACK_BOT_TOKEN: "xoxb-not-the-right-one" } });
    const look = await lookAt(`${w.h.bridge.url}/`);
    const token = look.line("slack", "token");
    expect(token.state).toBe("fail");
    expect(token.text).toContain("Slack refuses SLACK_BOT_TOKEN (invalid_auth)");
    expect(token.text).toContain("Bot User OAuth Token");
    expect(look.line("slack", "channel")).toMatchObject({ state: "warn" });
    expect(look.parts.get("slack")?.state).toBe("fail");
    expect(look.html).not.toContain("xoxb-not-the-right-one");
  });

  it("the bot not in the channel ⚠️; an archived channel ✗; no such channel ✗", async () => {
    const fake = await startFakeSlack({ channels: [GENERAL, "C0SALES", "C0OTHER"] });
    closers.push(() => fake.close());
    fake.removeBot(GENERAL);
    fake.archiveChannel("C0OTHER");
    const cases = [
      { channel: GENERAL, state: "warn", words: "#general found, but the bot is not in it" },
      { channel: "C0OTHER", state: "fail", words: "#other is archived" },
      { channel: "C0NOPE", state: "fail", words: "SLACK_CHANNEL names no channel" },
    ];
    for (const c of cases) {
      const w = await startSlackWorld({ sharedFake: fake, env: { SLACK_CHANNEL: c.channel } });
      try {
        const line = (await lookAt(`${w.h.bridge.url}/`)).line("slack", "channel");
        expect(line.state, c.channel).toBe(c.state);
        expect(line.text).toContain(c.words);
      } finally {
        await w.close();
      }
    }
  });

  it("Slack not answering: the page answers, the token's line says no answer", async () => {
    const w = await world({ fake: { silentMethods: ["auth.test"] } });
    const started = Date.now();
    const look = await lookAt(`${w.h.bridge.url}/`);
    // The page's own deadline (0.8 s) answers it; the bound is generous for a loaded machine.
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(look.status).toBe(200);
    const token = look.line("slack", "token");
    expect(token.state).toBe("warn");
    expect(token.text).toContain("no answer from Slack (no answer within 0.8 s)");
    expect(look.line("database", "connection")).toBeDefined();
  });

  it("no PUBLIC_URL: the events URL is the address the page was opened at, which must be https", async () => {
    const w = await world();
    const local = await lookAt(`${w.h.bridge.url}/`);
    expect(local.line("slack", "connection")).toMatchObject({ state: "warn" });
    expect(local.line("slack", "connection").text).toContain("Slack calls https:// addresses only");
    expect(local.line("slack", "manifest").html).toContain("slack-manifest.yml?mode=socket");
    const routed = await lookAt(`${w.h.bridge.url}/`, PUBLIC);
    expect(routed.line("slack", "connection")).toMatchObject({ state: "ok" });
    expect(routed.line("slack", "connection").text).toContain(
      "https://sms.example.com/slack/events",
    );
  });
});

describe("setup page: Discord", () => {
  async function discord(kind: "text" | "forum", o: Parameters<typeof startDiscord>[1] = {}) {
    const w = await startDiscord(kind, o);
    closers.push(() => w.close());
    return w;
  }

  it("a text channel: token, gateway in this process, channel, /sms and the invite ✓", async () => {
    const w = await discord("text");
    const look = await lookAt(`${w.h.bridge.url}/`);
    expect(look.line("discord", "token")).toMatchObject({ state: "ok" });
    const gateway = look.line("discord", "gateway");
    expect(gateway.state).toBe("ok");
    expect(gateway.text).toContain("connected, in this process");
    expect(look.line("discord", "channel")).toMatchObject({ state: "ok" });
    expect(look.line("discord", "channel").text).toContain("#sms, a text channel");
    expect(look.line("discord", "commands").text).toContain("registered in this server");
    const invite = look.line("discord", "invite");
    expect(invite.state).toBe("ok");
    expect(invite.html).toContain(
      `https://discord.com/oauth2/authorize?client_id=${w.fake.applicationId}&amp;scope=bot+applications.commands&amp;permissions=326417632320`,
    );
    expect(look.parts.get("discord")?.state).toBe("ok");
    expect(look.parts.get("slack")?.state).toBe("off");
    expect(look.html).not.toContain(w.fake.token);
  });

  it("a forum channel ✓; /sms not registered ⚠️ with the command for this server", async () => {
    const fake = await startFakeDiscord();
    closers.push(() => fake.close());
    const h = await harness({ env: discordEnv(fake, fake.forumChannelId ?? "") });
    const look = await lookAt(`${h.bridge.url}/`);
    expect(look.line("discord", "channel").text).toContain("#sms-forum, a forum channel");
    const commands = look.line("discord", "commands");
    expect(commands.state).toBe("warn");
    expect(commands.text).toContain(
      `npx ardary-bridge discord register-commands --guild ${fake.guildId}`,
    );
  });

  it("a refused token ✗ naming DISCORD_BOT_TOKEN, and no process holds the gateway ✗", async () => {
    const fake = await startFakeDiscord();
    closers.push(() => fake.close());
    const h = await harness({
      env: { ...discordEnv(fake, fake.textChannelId ?? ""), DISCORD_BOT_TOKEN: "not-the-token" },
    });
    const look = await lookAt(`${h.bridge.url}/`);
    const token = look.line("discord", "token");
    expect(token.state).toBe("fail");
    expect(token.text).toContain("Discord refuses DISCORD_BOT_TOKEN (401)");
    const gateway = look.line("discord", "gateway");
    expect(gateway.state).toBe("fail");
    expect(gateway.text).toContain("no process is connected");
    expect(look.html).not.toContain("not-the-token");
  });

  it("the Message Content intent off ✗; a channel that does not exist ✗", async () => {
    const fake = await startFakeDiscord({ privilegedIntents: false });
    closers.push(() => fake.close());
    const h = await harness({
      env: { ...discordEnv(fake, fake.textChannelId ?? ""), DISCORD_CHANNEL: "123456789012345678" },
    });
    const look = await lookAt(`${h.bridge.url}/`);
    const token = look.line("discord", "token");
    expect(token.state).toBe("fail");
    expect(token.text).toContain("Message Content intent is off");
    expect(token.text).toContain("Privileged Gateway Intents");
    const channel = look.line("discord", "channel");
    expect(channel.state).toBe("fail");
    expect(channel.text).toContain("DISCORD_CHANNEL names no channel");
  });

  it("Discord not answering: the page answers, the token's line says no answer", async () => {
    const fake = await startFakeDiscord({ silentPaths: ["/applications/@me"] });
    closers.push(() => fake.close());
    const h = await harness({ env: discordEnv(fake, fake.textChannelId ?? "") });
    const started = Date.now();
    const look = await lookAt(`${h.bridge.url}/`);
    expect(Date.now() - started).toBeLessThan(5_000);
    const token = look.line("discord", "token");
    expect(token.state).toBe("warn");
    expect(token.text).toContain("no answer from Discord");
    // What needs no call out is still said.
    expect(look.line("discord", "gateway").state).toBe("ok");
  });
});

describe("setup page: the page and its files", () => {
  it("GET only; any other path under /setup is 404; the manifest has this bridge's address and no secret", async () => {
    const w = await startSlackWorld();
    closers.push(() => w.close());
    const base = w.h.bridge.url;
    const post = await fetch(`${base}/`, { method: "POST" });
    expect(post.status).toBe(405);
    expect(post.headers.get("allow")).toBe("GET, HEAD");
    for (const path of ["/setup/nothing", "/setup/slack-manifest.yml/x", "/setup/x/y"])
      expect((await fetch(`${base}${path}`)).status, path).toBe(404);
    expect((await fetch(`${base}/setup/slack-manifest.yml`, { method: "POST" })).status).toBe(404);
    const page = await fetch(`${base}/`);
    expect(page.headers.get("content-type")).toContain("text/html");
    expect(page.headers.get("cache-control")).toBe("no-store");
    expect(page.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(await page.text()).not.toContain("<script");

    const manifest = await get(`${base}/setup/slack-manifest.yml`, PUBLIC);
    expect(manifest.status).toBe(200);
    const yml = manifest.body;
    expect(yml.match(/https:\/\/sms\.example\.com\/slack\/events/g)).toHaveLength(3);
    expect(yml).not.toContain("YOUR-HOST");
    expect(yml).toContain("PUBLIC_URL is not set: made for https://sms.example.com");
    for (const hidden of [w.fake.botToken, w.fake.signingSecret, SECRET])
      expect(yml).not.toContain(hidden);
    const socket = await (await fetch(`${base}/setup/slack-manifest.yml?mode=socket`)).text();
    expect(socket).toContain("socket_mode_enabled: true");
    expect(socket).not.toContain("request_url");
  });

  it("a manifest asked for before any address is known says what to set, not YOUR-HOST", async () => {
    const h = await harness({});
    // A Host that is no address: the bridge cannot tell its own.
    const res = await get(`${h.bridge.url}/setup/slack-manifest.yml`, { host: "not an address" });
    expect(res.status).toBe(409);
    const body = res.body;
    expect(body).toContain("set PUBLIC_URL");
    expect(body).toContain("?mode=socket");
    expect(body).not.toContain("YOUR-HOST");
  });
});
