// Routes from chat and from the CLI: the next new number of a prefix opens its thread in the
// route's channel, --move moves an existing conversation (its new thread links to the old one),
// and only people allowed to manage the bridge change routes.
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { senderProblem } from "../../adapters/ardary/sender.ts";
import { loadEnv } from "../../src/boot/env.ts";
import { chatPlatforms } from "../../src/boot/services.ts";
import { rowsOf } from "../../src/db/database.ts";
import { runTeamCli } from "../../src/team/team.ts";
import { startFakeDiscord } from "../fakes/discord.ts";
import { closeAfterEach } from "../support/close-after-each.ts";
import { type DiscordWorld, startDiscord, threadOf, waitCard } from "../support/discord-setup.ts";
import { until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

const keep = closeAfterEach();

const ADMIN = { name: "alice", real_name: "Alice Martin", is_admin: true };
const MEMBER = { name: "bob", real_name: "Bob Durand" };

async function command(w: SlackWorld, userId: string, text: string): Promise<string> {
  const before = w.fake.responses.length;
  const res = await w.fake.signer.sendCommand(w.events, { text, userId, channelId: GENERAL });
  expect(res.status).toBe(200);
  await until(() => w.fake.responses.length > before, 10_000, `an answer to /sms ${text}`);
  return JSON.stringify(w.fake.responses[before]?.body);
}

describe("routes on slack", () => {
  it("a route added by an admin takes the next new number; --move moves an existing one, linking the old thread; others are refused", async () => {
    const slack = keep(
      await startSlackWorld({ fake: { users: { U0ALICE: ADMIN, U0BOB: MEMBER } } }),
    );
    const w = slack;
    await w.h.sim.inbound("+447700900001", "hello from the UK");
    const old = await w.thread("+447700900001");
    expect(old.channel).toBe(GENERAL);

    expect(await command(w, "U0BOB", "route add +44 #sales")).toContain("Only people allowed");
    expect(await command(w, "U0ALICE", "route add +44 <#C0SALES|sales>")).toContain(
      "Route +44 → <#C0SALES>",
    );
    await w.h.sim.inbound("+447700900002", "another UK customer");
    expect((await w.thread("+447700900002")).channel).toBe("C0SALES");
    // Without --move the existing conversation stays in its thread.
    await w.h.sim.inbound("+447700900001", "still here?");
    await untilInOrder(w, old, ["hello from the UK", "still here?"]);

    // By name: Slack sends #sales as typed; the bridge finds the channel (conversations.list).
    expect(await command(w, "U0ALICE", "route add +44 #sales --move")).toContain(
      "1 existing conversation(s) moved",
    );
    await w.h.sim.inbound("+447700900001", "after the move");
    const moved = await until(async () => {
      const t = await w.thread("+447700900001");
      return t.channel === "C0SALES" ? t : undefined;
    });
    const link = `https://slack.com/archives/${old.channel}/p${old.ts.replace(".", "")}`;
    await untilInOrder(w, moved, ["moved to this channel", link, "after the move"]);
    // Who moved it, said in its new thread.
    await untilInOrder(w, moved, ["Alice Martin moved this conversation here (route +44)."]);
    expect(await command(w, "U0BOB", "route list")).toContain("+44 → <#C0SALES>");
    expect(await command(w, "U0BOB", "route remove +44")).toContain("Only people allowed");
    expect(await command(w, "U0ALICE", "route remove +44")).toContain("Route +44 removed");
  });

  it("--move while a thread is opening: the conversation moves, its next thread links the one that opened", async () => {
    // Slack shows the card a moment before the bridge hears back: the move comes in between.
    const slack = keep(
      await startSlackWorld({
        fake: { users: { U0ALICE: ADMIN }, answerDelayMs: { "chat.postMessage": 1500 } },
      }),
    );
    const w = slack;
    await w.h.sim.inbound("+447700900005", "first words");
    const card = await until(
      () => w.fake.posts.find((p) => p.channel === GENERAL && p.text?.includes("7700 900005")),
      10_000,
      "the card in the default channel",
    );
    expect(await command(w, "U0ALICE", "route add +44 <#C0SALES|sales> --move")).toContain(
      "1 existing conversation(s) moved",
    );
    await w.h.sim.inbound("+447700900005", "after the move");
    const moved = await until(
      async () => {
        const t = await w.thread("+447700900005");
        return t.channel === "C0SALES" ? t : undefined;
      },
      30_000,
      "a thread in #sales",
    );
    const link = `https://slack.com/archives/${GENERAL}/p${card.ts.replace(".", "")}`;
    // Its card carries the SMS that opened it, then the note links the thread it moved from.
    await untilInOrder(w, moved, ["after the move", link], 30_000);
    // The card that opened meanwhile kept its first SMS; nothing was posted twice.
    expect(w.fake.posts.filter((p) => p.text?.includes("after the move"))).toHaveLength(1);
  });

  it("with SLACK_MANAGER_GROUP only that group's members manage routes, admins included", async () => {
    const slack = keep(
      await startSlackWorld({
        fake: {
          users: { U0ALICE: ADMIN, U0BOB: MEMBER },
          usergroups: [{ id: "S0LEADS", handle: "support-leads", name: "Leads", users: ["U0BOB"] }],
        },
        env: { SLACK_MANAGER_GROUP: "@support-leads" },
      }),
    );
    expect(await command(slack, "U0ALICE", "route add +44 C0SALES")).toContain(
      "Only people allowed",
    );
    expect(await command(slack, "U0BOB", "route add +44 C0SALES")).toContain("Route +44");
  });

  it("a route added from the CLI holds in the running server at once; list and remove", async () => {
    const slack = keep(await startSlackWorld());
    const db = slack.h.bridge.database.db;
    // The chat platforms the CLI knows, as the composition gives them (boot/services.ts).
    const platforms = chatPlatforms(loadEnv({}));
    const routes = (args: string[]) => runTeamCli(db, "routes", args, undefined, platforms);
    const added = await routes(["add", "+33 1", "--slack", "C0OTHER"]);
    expect(added).toEqual({ lines: ["+331 → slack C0OTHER"], code: 0 });
    // The long form names any chat platform; an unknown one, or a bad id, is refused.
    expect(
      await routes(["add", "+35", "--platform", "discord", "--channel", "123456789012"]),
    ).toEqual({ lines: ["+35 → discord 123456789012"], code: 0 });
    expect((await routes(["add", "+36", "--platform", "teams", "--channel", "T1"])).lines).toEqual([
      "not a chat platform: teams (platforms: slack, discord)",
    ]);
    expect((await routes(["add", "+36", "--slack", "general"])).lines).toEqual([
      "not a slack channel id: general",
    ]);
    expect((await routes(["remove", "+35"])).code).toBe(0);
    await slack.h.sim.inbound("+33123456789", "bonjour");
    expect((await slack.thread("+33123456789")).channel).toBe("C0OTHER");
    expect((await runTeamCli(db, "routes", ["list"])).lines).toEqual(["+331\tslack\tC0OTHER"]);
    expect((await routes(["add", "+44"])).code).toBe(2);
    expect(await runTeamCli(db, "routes", ["remove", "+331"])).toEqual({
      lines: ["removed +331"],
      code: 0,
    });
    await slack.h.sim.inbound("+33198765432", "bonjour");
    expect((await slack.thread("+33198765432")).channel).toBe(GENERAL);

    // --sender: checked by the SMS provider's rule (Ardary's, as the composition passes it).
    const withRule = (args: string[]) =>
      runTeamCli(db, "routes", args, undefined, platforms, senderProblem);
    expect(await withRule(["add", "+44", "--slack", "C0OTHER", "--sender", "Acme UK!"])).toEqual({
      lines: [
        'route not saved: "Acme UK!" cannot be an SMS sender name: Ardary and the operators take 3 to 11 characters, letters (A-Z, no accents) and digits only, with at least one letter (e.g. AcmeUK)',
      ],
      code: 2,
    });
    expect((await withRule(["add", "+44", "--slack", "C0OTHER", "--sender"])).code).toBe(2);
    expect(
      (await routes(["add", "+44", "--slack", "C0OTHER", "--sender", "AcmeUK"])).lines,
    ).toEqual(["route not saved: the SMS provider takes no sender names: leave --sender out"]);
    expect(await withRule(["add", "+44", "--slack", "C0OTHER", "--sender", "AcmeUK"])).toEqual({
      lines: ["+44 → slack C0OTHER, SMS sent as AcmeUK"],
      code: 0,
    });
    expect((await runTeamCli(db, "routes", ["list"])).lines).toEqual([
      "+44\tslack\tC0OTHER\tsender AcmeUK",
    ]);
  });
});

const TEXT = "110000000000000001";
const UK = "110000000000000002";
const MANAGE_GUILD = 1n << 5n;

function routeAdd(w: DiscordWorld, prefix: string, channel: string, as = {}) {
  return w.fake.interaction({
    name: "sms",
    subcommand: "route add",
    channelId: TEXT,
    options: [
      { type: 3, name: "prefix", value: prefix },
      { type: 7, name: "channel", value: channel },
    ],
    ...as,
  });
}

async function answer(w: DiscordWorld, id: string): Promise<string> {
  const r = await until(
    () => w.fake.responsesTo(id).find((x) => x.kind === "edit"),
    10_000,
    "the answer",
  );
  return JSON.stringify(r);
}

describe("routes on discord", () => {
  it("Manage Server (or the manager role) may add a route; the next new number's thread opens in its channel", async () => {
    const fake = await startFakeDiscord({
      channels: [
        { id: TEXT, name: "sms", type: "text" },
        { id: UK, name: "uk-support", type: "text" },
      ],
    });
    const discord = keep(await startDiscord("text", { fake, env: { DISCORD_MANAGER_ROLE: "" } }));
    const w = discord;
    expect(await answer(w, routeAdd(w, "+44", UK).id)).toContain("Only people allowed");
    const ok = routeAdd(w, "+44", UK, { permissions: MANAGE_GUILD });
    expect(await answer(w, ok.id)).toContain(`Route +44 → <#${UK}>`);
    await w.h.sim.inbound("+447700900003", "hello");
    await until(() => w.fake.threads.find((t) => t.parent_id === UK), 10_000, "a thread in #uk");
    expect(threadOf(w, "+44 7700 900003")).toBeUndefined(); // not in the default channel
    await w.h.sim.inbound("+33612345678", "bonjour");
    const { threadId: old } = await waitCard(w, "+33 6 12 34 56 78", "bonjour");
    // --move: the French conversation's next post opens a thread in #uk that links the old one.
    const move = w.fake.interaction({
      name: "sms",
      subcommand: "route add",
      channelId: TEXT,
      options: [
        { type: 3, name: "prefix", value: "+33" },
        { type: 7, name: "channel", value: UK },
        { type: 5, name: "move", value: true },
      ],
      permissions: MANAGE_GUILD,
    });
    expect(await answer(w, move.id)).toContain("1 existing conversation(s) moved");
    await w.h.sim.inbound("+33612345678", "encore moi");
    const moved = await until(
      () => w.fake.threads.find((t) => t.parent_id === UK && t.name.includes("+33 6 12")),
      30_000,
      "the moved thread",
    );
    const texts = await until(
      () => {
        const all = w.fake.messages(moved.id).map((m) => m.content);
        return all.some((c) => c.includes("encore moi")) ? all : undefined;
      },
      30_000,
      "the SMS in the moved thread",
      async () =>
        JSON.stringify({
          moved: moved.id,
          inMoved: w.fake.messages(moved.id).map((m) => m.content.slice(0, 60)),
          threads: w.fake.threads.map((t) => `${t.id} ${t.parent_id} ${t.name}`),
          db: rowsOf(
            await w.h.bridge.database.db.execute(
              sql`select c.id, c.channel, c.thread_ref, c.previous_thread_ref,
                (select json_agg(json_build_object('id', m.id, 'body', m.body, 'chat_ref', m.chat_ref, 'own', m.own_post) order by m.id) from messages m where m.conversation_id = c.id) as sms,
                (select json_agg(json_build_object('id', j.id, 'state', j.state, 'attempts', j.attempts, 'run_at', j.run_at, 'error', j.last_error, 'payload', j.payload) order by j.id) from jobs j where j.ordering_key = 'chat:' || c.id) as jobs
                from conversations c where c.phone = '+33612345678'`,
            ),
          ),
          requests: w.fake.requests.slice(-30).map((r) => `${r.method} ${r.path} ${r.status}`),
        }),
    );
    expect(texts.join("\n")).toContain(`previous thread: <#${old}>`);
  });

  it("with DISCORD_MANAGER_ROLE only members with that role (by name) manage routes", async () => {
    const role = "120000000000000001";
    const fake = await startFakeDiscord({
      channels: [
        { id: TEXT, name: "sms", type: "text" },
        { id: UK, name: "uk-support", type: "text" },
      ],
      roles: [{ id: role, name: "Support Leads" }],
    });
    const discord = keep(
      await startDiscord("text", { fake, env: { DISCORD_MANAGER_ROLE: "support leads" } }),
    );
    const admin = routeAdd(discord, "+44", UK, { permissions: MANAGE_GUILD });
    expect(await answer(discord, admin.id)).toContain("Only people allowed");
    const lead = routeAdd(discord, "+44", UK, { roles: [role] });
    expect(await answer(discord, lead.id)).toContain("Route +44");
  });
});
