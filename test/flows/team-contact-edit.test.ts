// Edit contact: a name edited on the card appears on the card (and, on Discord, in the
// thread's title) and is synced to the provider (addContact with the new name). Slack: the
// button opens a modal with views.open, its view_submission saves it (a value too long is
// answered with errors and the modal stays open). Discord: the button is answered with a modal
// (type 9), its MODAL_SUBMIT saves it. `contacts set` (the CLI form) fills the form first.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { formatPhone } from "../../src/kernel/phone.ts";
import { runTeamCli } from "../../src/team/team.ts";
import { startFakeSlack } from "../fakes/slack.ts";
import { startFakeSocketMode } from "../fakes/slack-socket.ts";
import {
  cardOf,
  type DiscordWorld,
  startDiscord,
  waitCard,
  waitPosts,
} from "../support/discord-setup.ts";
import { type Harness, startHarness, until } from "../support/harness.ts";
import { type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

let slack: SlackWorld | undefined;
let discord: DiscordWorld | undefined;
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await slack?.close();
  await discord?.close();
  for (const c of closers.splice(0).reverse()) await c();
  slack = undefined;
  discord = undefined;
});

type SimContact = { phonenumber: string; firstname?: string; lastname?: string };

/** Waits for an addContact request naming this number with this first and last name. */
async function synced(h: Harness, phone: string, first: string, last: string) {
  await until(
    () =>
      h.sim.requests
        .filter((r) => r.endpoint === "addContact")
        .flatMap((r) => (r.body as { contacts: SimContact[] }).contacts)
        .find((c) => c.phonenumber === phone && c.firstname === first && c.lastname === last),
    30_000,
    `addContact with ${first} ${last}`,
  );
}

describe("edit contact on slack", () => {
  it("a name edited on the card appears on the card and is synced", async () => {
    slack = await startSlackWorld();
    const w = slack;
    const phone = "+15550600001";
    await w.h.sim.inbound(phone, "hello");
    const t = await w.thread(phone);
    await untilInOrder(w, t, ["hello"]);
    const card = () => JSON.stringify(w.fake.thread(t.channel, t.ts)[0]?.blocks);
    const set = await runTeamCli(w.h.bridge.database.db, "contacts", [
      "set",
      phone,
      "--name",
      "Zoe Martin",
      "--company",
      "Acme",
    ]);
    expect(set.code).toBe(0);
    await until(() => card().includes("Zoe Martin"), 30_000, "the name from the CLI on the card");

    const actionId = /form:edit-contact:\d+/.exec(card())?.[0] ?? "";
    expect(actionId).not.toBe("");
    const press = await w.fake.signer.sendAction(w.events, {
      actionId,
      value: actionId.split(":")[2] ?? "",
      userId: "U0BOB",
      channelId: t.channel,
      messageTs: t.ts,
    });
    expect(press.status).toBe(200);
    const view = await until(() => w.fake.views[0], 10_000, "the modal");
    expect(view.user).toBe("U0BOB");
    const initial = (id: string) =>
      (view.view.blocks as { block_id?: string; element?: { initial_value?: string } }[]).find(
        (b) => b.block_id === id,
      )?.element?.initial_value;
    expect([initial("name"), initial("company"), initial("notes")]).toEqual([
      "Zoe Martin",
      "Acme",
      undefined,
    ]);

    // A name without letters: Slack shows the error under the field, the modal stays open.
    const refused = await w.fake.submitView(w.events, view.id, { name: "0612345678" });
    expect(refused.body).toMatchObject({ response_action: "errors", errors: { name: /letters/ } });
    expect(view.state).toBe("open");

    const saved = await w.fake.submitView(w.events, view.id, {
      name: "Zoé Martin-Durand",
      notes: "prefers SMS",
    });
    expect(saved).toEqual({ status: 200, body: "" });
    expect(view.state).toBe("closed");
    await until(() => card().includes("Zoé Martin-Durand"), 30_000, "the new name on the card");
    await untilInOrder(w, t, [
      "Bob Durand edited the contact: name “Zoé Martin-Durand”, the notes",
    ]);
    await synced(w.h, phone, "Zoé", "Martin-Durand");
    const row = `${phone},Zoé Martin-Durand,Acme,prefers SMS,,,ok`;
    await until(
      async () =>
        (await runTeamCli(w.h.bridge.database.db, "contacts", ["export"])).lines.includes(row),
      10_000,
      "the contact saved and synced",
    );
  });
});

describe("edit contact on slack in socket mode", () => {
  it("the button opens the modal and its submission saves, both over the socket", async () => {
    const fake = await startFakeSlack({ channels: ["C0GENERAL"] });
    closers.push(() => fake.close());
    const socket = await startFakeSocketMode({ webApiUrl: fake.apiUrl });
    closers.push(() => socket.close());
    const h = await startHarness({
      env: {
        SLACK_BOT_TOKEN: fake.botToken,
        SLACK_CHANNEL: "C0GENERAL",
        SLACK_APP_TOKEN: socket.appToken,
        SLACK_API_URL: socket.apiUrl,
      },
    });
    closers.push(() => h.close());
    await socket.connected();
    const phone = "+15550600002";
    await h.sim.inbound(phone, "hi");
    const parent = await until(() => fake.topLevel("C0GENERAL")[0], 10_000, "the card");
    const actionId = /form:edit-contact:\d+/.exec(JSON.stringify(parent.blocks))?.[0] ?? "";
    await socket.sendInteractive(
      fake.signer.actionPayload({
        actionId,
        value: "",
        userId: "U0ALICE",
        channelId: "C0GENERAL",
        messageTs: parent.ts,
      }),
    );
    const view = await until(() => fake.views[0], 10_000, "the modal");
    const overSocket = async (payload: Record<string, unknown>) => {
      const ack = await socket.sendInteractive(payload);
      return { status: 200, body: ack.payload ?? "" };
    };
    const refused = await fake.submitView(overSocket, view.id, { name: "+15550600002" });
    expect(refused.body).toMatchObject({ response_action: "errors", errors: { name: /letters/ } });
    expect(view.state).toBe("open");
    await fake.submitView(overSocket, view.id, { name: "Ana Silva" });
    expect(view.state).toBe("closed");
    await until(
      () => JSON.stringify(fake.thread("C0GENERAL", parent.ts)[0]?.blocks).includes("Ana Silva"),
      30_000,
      "the name on the card",
    );
    await synced(h, phone, "Ana", "Silva");
  });
});

describe("edit contact on discord", () => {
  it.each(["text", "forum"] as const)(
    "in a %s channel: an import's name and then one edited on the card show on the card and the thread's title, and are synced",
    async (kind) => {
      discord = await startDiscord(kind);
      const w = discord;
      const phone = kind === "text" ? "+33612340601" : "+33612340602";
      const shown = formatPhone(phone);
      await w.h.sim.inbound(phone, "bonjour");
      const { threadId } = await waitCard(w, shown, "bonjour");
      const title = () => w.fake.channel(threadId)?.name;
      expect(title()).toBe(shown);

      // An import that names the contact renames the thread, through the same path as the form.
      const file = join(mkdtempSync(join(tmpdir(), "contacts-")), "one.csv");
      writeFileSync(file, `phone,name\n${phone},Jean D\n`);
      expect((await runTeamCli(w.h.bridge.database.db, "contacts", ["import", file])).code).toBe(0);
      await until(
        () => title() === `Jean D · ${shown}`,
        30_000,
        "the thread renamed by the import",
      );

      // Text channel: the card is the thread's starter in the channel; forum: the post's first.
      const where = kind === "text" ? w.channel : threadId;
      const customId =
        /ardary-form:edit-contact:\d+/.exec(JSON.stringify(cardOf(w, threadId)?.components))?.[0] ??
        "";
      expect(customId).not.toBe("");
      const press = w.fake.buttonClick({ customId, channelId: where, messageId: threadId });
      const modal = await until(() => w.fake.modalOf(press.id), 10_000, "the modal");
      expect(modal.custom_id).toBe(customId);
      expect(JSON.stringify(modal.components)).toContain('"value":"Jean D"');
      const submit = w.fake.modalSubmit({
        interactionId: press.id,
        values: { name: "Jean Dupont", company: "Dupont SA" },
      });
      // Acknowledged (deferred update of the card it came from), then saved.
      await until(() => w.fake.responsesTo(submit.id).find((r) => r.type === 6), 10_000, "the ack");
      await until(
        () => cardOf(w, threadId)?.content.includes("Jean Dupont"),
        30_000,
        "the name on the card",
      );
      await until(() => title() === `Jean Dupont · ${shown}`, 30_000, "the thread renamed");
      await waitPosts(w, shown, (c) =>
        c.includes("edited the contact: name “Jean Dupont”, company “Dupont SA”"),
      );
      await synced(w.h, phone, "Jean", "Dupont");
    },
  );
});
