// The bridge in French (BRIDGE_LANGUAGE=fr), end to end on Slack and on Discord: an incoming SMS
// opens a card in French, a reply is sent and its status line speaks French, `/sms help` is in
// French in each platform's own form, a scheduled `/sms` says its time as typed, in French. A
// conversation moved by a route says who moved it, a customer erased on request says so, and a
// refused sender name gives Ardary's rule, in French, from chat and from the CLI.
import { sql } from "drizzle-orm";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { featureConfig, features } from "../../src/boot/services.ts";
import { rowsOf } from "../../src/db/database.ts";
import { closeAfterEach } from "../support/close-after-each.ts";
import {
  answerTo,
  cardOf,
  contents,
  smsTo,
  startDiscord,
  waitCard,
  waitPosts,
} from "../support/discord-setup.ts";
import { until } from "../support/harness.ts";
import { GENERAL, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

const A = "+33612345678";
const A_SHOWN = "+33 6 12 34 56 78";
const FRENCH = { BRIDGE_LANGUAGE: "fr", ARDARY_TIMEZONE: "Europe/Paris" };
/** A time typed in `--at` (the account's zone), and how French says it back. */
const AT = "2030-12-02 08:00";
const AT_SAID = "lundi 2 décembre 2030 à 08:00";

const keep = closeAfterEach();

describe("the bridge in French", () => {
  it("on Slack: the card, a reply, a /sms and its status line, /sms help in mrkdwn, a refusal, a scheduled /sms", async () => {
    const slack = keep(await startSlackWorld({ env: FRENCH }));
    const w = slack;
    await w.h.sim.inbound(A, "Bonjour, où est ma commande ?");
    const t = await w.thread(A);
    await untilInOrder(w, t, ["Bonjour, où est ma commande ?"]);
    const card = w.fake.thread(t.channel, t.ts)[0];
    const shown = JSON.stringify(card?.blocks ?? []);
    expect(card?.text).toContain(`Conversation SMS avec ${A_SHOWN}`);
    expect(shown).toContain("*Conversation SMS* avec");
    expect(shown).toContain("🟡 attend notre réponse depuis");
    expect(shown).toContain("👤 personne ne l'a prise");
    for (const label of ["Clore", "Prendre", "Bloquer le numéro", "Modifier le contact"])
      expect(shown).toContain(`"text":"${label}"`);
    expect(shown).not.toMatch(/waiting for|nobody claimed|"Close"/);

    const command = async (text: string, userId = "U0ALICE") => {
      const before = w.fake.responses.length;
      await w.fake.signer.sendCommand(w.events, { text, userId, channelId: GENERAL });
      const r = await until(() => w.fake.responses[before]);
      return (r.body as { text: string }).text;
    };
    const help = await command("help");
    expect(help).toContain("*Envoyer un SMS :* `/sms <number> <text>`");
    expect(help).toContain("*Autres commandes :*");
    expect(help).toContain("`/sms route add <prefix> <#channel> [--move] [--sender <name>]`");
    expect(help).toContain("`/sms queue` : les conversations qui attendent une réponse");
    expect(help).not.toContain("**");

    const refused = await command("template add horaires Ouvert à 9 h.", "U0BOB");
    expect(refused).toContain(
      "(demandez à un administrateur ou propriétaire de l'espace de travail (ou réglez SLACK_MANAGER_GROUP pour nommer un groupe))",
    );

    const report = await command("report");
    expect(report).toMatch(
      /^📊 Rapport SMS, .* → .* \(Europe\/Paris\)\nConversations : actives 1, nouvelles 1/,
    );
    expect(report).toContain("Sans réponse maintenant : 1, la plus ancienne attend depuis");

    const queue = await command("queue");
    expect(queue).toContain(
      "*1 conversation(s) en attente de réponse*, les plus anciennes d'abord :",
    );
    expect(queue).not.toContain("**");

    await w.reply(t, "C'est parti.");
    await until(() => smsTo(w.h, A).includes("C'est parti."));
    const sent = await command(`${A} Livraison demain.`);
    expect(sent.startsWith(`Envoi au ${A_SHOWN} : voir le fil du numéro : https://`)).toBe(true);
    const line = await until(() => {
      const text = JSON.stringify(w.fake.thread(t.channel, t.ts).map((m) => m.blocks ?? []));
      return text.includes("Livraison demain.") && text.includes("📱 reçu") ? text : undefined;
    }, 20_000);
    expect(line).toContain("*SMS envoyé depuis Slack* par Alice Martin");
    expect(line).toContain("⏳ en file");
    expect(line).toContain("📤 envoyé");
    expect(line).not.toMatch(/📤 sent|📱 received|queued/);

    // The history in French: each SMS's status in words, the thread a link a person opens.
    const history = await command(`history ${A}`);
    expect(history).toMatch(/← reçu : Bonjour, où est ma commande \?/);
    expect(history).toMatch(/→ reçu Alice Martin : Livraison demain\./);
    expect(history).toMatch(/fil <?https:\/\//);
    expect(history).not.toMatch(/received|slack:C/);

    const scheduled = await command(`${A} --at "${AT}" À demain !`);
    expect(scheduled).toContain(
      `Envoi au ${A_SHOWN} le ${AT_SAID} (1 SMS · Unicode à cause de À) : voir le fil du numéro : https://`,
    );
  });

  it("on Discord: the card, a reply, a /sms and its status line, /sms help in Discord's form, a refusal naming Discord's rule", async () => {
    const discord = keep(await startDiscord("text", { env: FRENCH }));
    const w = discord;
    await w.h.sim.inbound(A, "Bonjour, où est ma commande ?");
    const { threadId } = await waitCard(w, A_SHOWN, "📩 Bonjour, où est ma commande ?");
    const card = cardOf(w, threadId);
    expect(card?.content).toContain("🟡 attend notre réponse depuis");
    expect(card?.content).toContain("✍️ les réponses ici partent en SMS");
    const labels = JSON.stringify(card?.components);
    for (const label of ["Clore", "Prendre", "Bloquer le numéro", "Modifier le contact"])
      expect(labels).toContain(`"label":"${label}"`);

    const slash = async (subcommand: string, options: Record<string, string> = {}, as = {}) => {
      const i = w.fake.interaction({
        name: "sms",
        subcommand,
        channelId: w.channel,
        options,
        ...as,
      });
      const a = await answerTo(w, i.id);
      expect(a.ephemeral).toBe(true);
      return a.content ?? "";
    };

    const queue = await slash("queue");
    expect(queue).toContain(
      "**1 conversation(s) en attente de réponse**, les plus anciennes d'abord :",
    );
    expect(queue).toContain(`• 🟡 ${A_SHOWN} attend depuis`);

    w.fake.messageCreate(threadId, { content: "C'est parti." });
    await until(() => smsTo(w.h, A).includes("C'est parti."), 10_000, "the reply's SMS");

    // A refused SMS says why in French, with the provider's code.
    w.h.sim.fault({ answer: { data: [{ phonenumber: A, error: ["#007"] }], count_sent: 0 } });
    w.fake.messageCreate(threadId, { content: "Un instant." });
    await waitPosts(w, A_SHOWN, (c) => c.includes("#007 numéro de téléphone invalide"));
    expect(contents(w, threadId).join("\n")).not.toContain("invalid phone number");
    // …and stores it as the thread says it, for the export and the report.
    const failed = rowsOf<{ error: string }>(
      await w.h.bridge.database.db.execute(
        sql`select error from messages where status = 'failed' order by id`,
      ),
    );
    expect(failed.map((r) => r.error)).toEqual(["#007 numéro de téléphone invalide"]);

    const sent = await slash("send", { number: A, text: "Livraison demain." });
    expect(sent).toBe(
      `Envoi au ${A_SHOWN} : voir le fil du numéro : https://discord.com/channels/${w.fake.guildId}/${threadId}`,
    );
    await waitPosts(w, A_SHOWN, (c) => c.includes("Livraison demain.") && c.includes("📬 reçu"));
    const post = contents(w, threadId).find((c) => c.includes("Livraison demain."));
    expect(post).toMatch(/-# ⏳ en file · 📤 transmis · ✅ envoyé <t:\d+:T> · 📬 reçu <t:\d+:T>/);
    expect(smsTo(w.h, A)).toEqual(["C'est parti.", "Livraison demain."]);

    const help = await slash("help");
    expect(help).toContain(
      "**Envoyer un SMS :** `/sms send number:… text:…`, par ex. `/sms send number:+33612345678 text:Votre commande est partie`",
    );
    expect(help).toContain("• `at:2026-12-01 09:00` : envoyer plus tard");
    expect(help).toContain("`/sms route add prefix:… channel:… [move:True] [sender:…]`");
    expect(help).toContain("`/sms history query:…`");
    expect(help).not.toMatch(/`--|<number>/);

    const scheduled = await slash("send", { number: A, text: "À demain !", at: AT });
    expect(scheduled).toContain(
      `Envoi au ${A_SHOWN} le ${AT_SAID} (1 SMS · Unicode à cause de À) : voir le fil du numéro : https://`,
    );
    // Its post's status line says its cost in French too.
    await waitPosts(
      w,
      A_SHOWN,
      (c) => c.includes("À demain !") && c.includes("Unicode à cause de À"),
    );

    // Adding a template is for managers: the refusal names Discord's rule, not a workspace admin.
    const refused = await slash("template add", { name: "horaires", text: "Ouvert à 9 h." });
    expect(refused).toBe(
      "🔒 Seules les personnes autorisées à gérer le pont peuvent ajouter ou supprimer des modèles (demandez à une personne ayant la permission Gérer le serveur (ou réglez DISCORD_MANAGER_ROLE pour nommer un rôle)).",
    );
  });

  it("the notes of `route add --move` (from chat and from the CLI) and of `forget`, and the sender-name rule, are in French", async () => {
    const slack = keep(
      await startSlackWorld({
        env: FRENCH,
        fake: { users: { U0ALICE: { name: "alice", real_name: "Alice Martin", is_admin: true } } },
      }),
    );
    const w = slack;
    const moved = async (phone: string, channel: string, after: string) => {
      await w.h.sim.inbound(phone, after);
      return until(
        async () => {
          const t = await w.thread(phone);
          return t.channel === channel ? t : undefined;
        },
        15_000,
        `${phone}'s thread in ${channel}`,
      );
    };

    /** `/sms <text>` by the admin: its answer. */
    const command = async (text: string) => {
      const before = w.fake.responses.length;
      await w.fake.signer.sendCommand(w.events, { text, userId: "U0ALICE", channelId: GENERAL });
      await until(() => w.fake.responses.length > before, 10_000, `the answer to ${text}`);
      return (w.fake.responses[before]?.body as { text?: string } | undefined)?.text;
    };
    /** `ardary-bridge <name> <args>` as the composition's feature runs it, with the bridge's config. */
    const cli = (name: string, args: string[]) =>
      features.cli.get(name)?.run(
        {
          db: w.h.bridge.database.db,
          log: pino({ level: "silent" }),
          platforms: [{ name: "slack" }],
          config: featureConfig(w.h.env),
        },
        args,
        async () => {},
      );

    await w.h.sim.inbound("+447700900001", "hello");
    await w.thread("+447700900001");
    await command("route add +44 <#C0SALES|sales> --move");
    const byChat = await moved("+447700900001", "C0SALES", "après le déplacement");
    // A sender name Ardary would refuse: its rule said in French.
    expect(await command("route add +33 <#C0SALES|sales> --sender Acme_UK")).toBe(
      "Route non enregistrée : « Acme_UK » ne peut pas être un nom d'expéditeur SMS : Ardary et les opérateurs acceptent de 3 à 11 caractères, lettres (A-Z, sans accents) et chiffres uniquement, avec au moins une lettre (par ex. AcmeUK).",
    );
    await untilInOrder(w, byChat, ["↪️ Alice Martin a déplacé cette conversation ici (route +44)."]);

    // The CLI, as `ardary-bridge routes add` runs it (the composition's feature, its config).
    await w.h.sim.inbound("+447700900002", "hello again");
    await w.thread("+447700900002");
    const code = await cli("routes", ["add", "+447700900002", "--slack", "C0OTHER", "--move"]);
    expect(code).toBe(0);
    const byCli = await moved("+447700900002", "C0OTHER", "et encore");
    await untilInOrder(w, byCli, [
      "↪️ Un admin (ligne de commande) a déplacé cette conversation ici (route +447700900002).",
    ]);

    // `ardary-bridge forget`: the note in the customer's thread is in French too.
    const forgot = await cli("forget", ["+447700900001"]);
    expect(forgot).toBe(0);
    await untilInOrder(w, byChat, [
      "🧹 Les données de ce client ont été effacées à sa demande : textes des SMS, coordonnées et numéro.",
    ]);
  });

  it("what refuses the bridge is said in French: Ardary's account in the main channel, a channel Slack or Discord no longer lets it post in", async () => {
    const slack = keep(await startSlackWorld({ env: { ...FRENCH, REFUSED_RETRY_MS: "300" } }));
    const w = slack;
    const notes = (text: string) =>
      w.fake
        .topLevel(GENERAL)
        .map((m) => m.text)
        .filter((t) => t.includes(text));
    w.h.sim.setAccount({ accessKey: "rotated-in-the-dashboard" });
    await w.h.bridge.database.db.transaction((tx) =>
      w.h.bridge.bridge.queueSms(tx, { phone: A, text: "Bonjour", author: "test" }),
    );
    const [account] = await until(
      () => (notes("Aucun SMS ne peut partir").length > 0 ? notes("Aucun SMS") : undefined),
      10_000,
      "the account's note",
    );
    expect(account).toContain("Ardary refuse le compte (#001 authentification refusée)");
    expect(account).toContain("Pour corriger : vérifiez ARDARY_ACCESS_KEY et ARDARY_LOGIN");
    expect(account).not.toMatch(/refused the account|check ARDARY/);

    await w.route("+3361", "C0SALES");
    w.fake.removeBot("C0SALES");
    await w.h.sim.inbound("+33611111111", "Bonjour depuis les ventes");
    const [channel] = await until(
      () => (notes("ne peut pas publier").length > 0 ? notes("ne peut pas publier") : undefined),
      15_000,
      "the channel's note",
    );
    expect(channel).toContain("<#C0SALES> : le bot n'est pas membre du canal");
    expect(channel).toContain("Pour corriger : invitez le bot dans <#C0SALES>");
    expect(channel).not.toMatch(/invite the bot|move its numbers/);

    const discord = keep(
      await startDiscord("text", { env: { ...FRENCH, REFUSED_RETRY_MS: "300" } }),
    );
    const d = discord;
    const forum = d.fake.forumChannelId ?? "";
    await d.h.bridge.database.db.execute(
      sql`insert into routes (pattern, platform, channel) values ('+3361', 'discord', ${forum})`,
    );
    d.fake.removeAccess(forum);
    await d.h.sim.inbound("+33611111112", "Bonjour depuis le forum");
    const forumNote = await until(
      () => d.fake.messages(d.channel).find((m) => m.content.includes("ne peut pas publier")),
      15_000,
      "the forum's note",
    );
    expect(forumNote.content).toContain(`<#${forum}> :`);
    expect(forumNote.content).toContain(
      "Pour corriger : rendez au bot les permissions Voir le salon",
    );
    expect(forumNote.content).not.toMatch(/give the bot back|Missing Access \(/);
  });
});
