// The fakes' modals hold to Slack's and Discord's documented rules, so the bridge is checked
// against them: views.open exchanges a trigger once and refuses a view Slack would; Discord's
// type 9 refuses a modal out of its sizes, and cannot answer a MODAL_SUBMIT.
import { afterEach, describe, expect, it } from "vitest";
import { type FakeDiscord, startFakeDiscord } from "../../fakes/discord.ts";
import { type FakeSlack, startFakeSlack } from "../../fakes/slack.ts";

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const f of open.splice(0)) await f.close();
});

const input = (id: string) => ({
  type: "input",
  block_id: id,
  label: { type: "plain_text", text: id },
  element: { type: "plain_text_input", action_id: id },
});

describe("fake slack: views.open", () => {
  async function viewsOpen(fake: FakeSlack, trigger_id: string, view: unknown) {
    const res = await fetch(`${fake.apiUrl}views.open`, {
      method: "POST",
      headers: { authorization: `Bearer ${fake.botToken}`, "content-type": "application/json" },
      body: JSON.stringify({ trigger_id, view }),
    });
    return (await res.json()) as Record<string, unknown>;
  }

  it("exchanges an interaction's trigger once, for a modal Slack accepts", async () => {
    const fake = await startFakeSlack();
    open.push(fake);
    const press = fake.signer.actionPayload({
      actionId: "form:edit-contact:1",
      value: "1",
      userId: "U0ALICE",
      channelId: "C0GENERAL",
      messageTs: "1700000000.000100",
    });
    const trigger = String(press.trigger_id);
    const modal = {
      type: "modal",
      title: { type: "plain_text", text: "Edit contact" },
      submit: { type: "plain_text", text: "Save" },
      blocks: [input("name")],
    };
    expect(
      await viewsOpen(fake, trigger, {
        ...modal,
        title: { type: "plain_text", text: "x".repeat(25) },
      }),
    ).toMatchObject({
      ok: false,
      error: "invalid_arguments",
      response_metadata: { messages: [expect.stringContaining("/view/title/text")] },
    });
    expect(await viewsOpen(fake, trigger, { ...modal, submit: undefined })).toMatchObject({
      ok: false,
      error: "invalid_arguments",
    });
    expect(await viewsOpen(fake, trigger, { ...modal, type: "home" })).toMatchObject({ ok: false });
    const opened = await viewsOpen(fake, trigger, modal);
    expect(opened).toMatchObject({
      ok: true,
      view: { type: "modal", id: expect.stringMatching(/^V/) },
    });
    expect(fake.views.map((v) => [v.user, v.state])).toEqual([["U0ALICE", "open"]]);
    expect(await viewsOpen(fake, trigger, modal)).toMatchObject({ error: "exchanged_trigger_id" });
    expect(await viewsOpen(fake, "12345.98765.abcd2358fdea", modal)).toMatchObject({
      error: "invalid_trigger_id",
    });
  });
});

describe("fake discord: modals", () => {
  async function callback(fake: FakeDiscord, id: string, token: string, body: unknown) {
    return fetch(`${fake.apiUrl}/v10/interactions/${id}/${token}/callback`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  }

  it("shows a modal within its sizes, and takes its submission as a MODAL_SUBMIT", async () => {
    const fake = await startFakeDiscord();
    open.push(fake);
    const channelId = fake.textChannelId ?? "";
    const card = fake.messageCreate(channelId, { content: "card" });
    const press = fake.buttonClick({
      customId: "ardary-form:edit-contact:1",
      channelId,
      messageId: card.id,
    });
    const row = (id: string, extra = {}) => ({
      type: 1,
      components: [{ type: 4, custom_id: id, label: id, style: 1, ...extra }],
    });
    const modal = {
      custom_id: "ardary-form:edit-contact:1",
      title: "Edit contact",
      components: [row("name")],
    };
    const tooLong = await callback(fake, press.id, press.token, {
      type: 9,
      data: { ...modal, title: "x".repeat(46) },
    });
    expect(tooLong.status).toBe(400);
    expect(await tooLong.json()).toMatchObject({ code: 50035, errors: { data: { title: {} } } });
    const sixRows = ["a", "b", "c", "d", "e", "f"].map((id) => row(id));
    expect(
      (
        await callback(fake, press.id, press.token, {
          type: 9,
          data: { ...modal, components: sixRows },
        })
      ).status,
    ).toBe(400);
    const shown = await callback(fake, press.id, press.token, {
      type: 9,
      data: { ...modal, components: [row("name", { value: "Zoe", required: true })] },
    });
    expect(shown.status).toBe(204);
    expect(fake.modalOf(press.id)).toMatchObject({ title: "Edit contact" });

    // The client refuses an empty required input; a submission carries every input's value.
    expect(() => fake.modalSubmit({ interactionId: press.id, values: { name: "" } })).toThrow(
      /required/,
    );
    const submit = fake.modalSubmit({ interactionId: press.id, values: { name: "Zoe Martin" } });
    expect(submit.payload).toMatchObject({
      type: 5,
      data: {
        custom_id: "ardary-form:edit-contact:1",
        components: [
          { type: 1, components: [{ type: 4, custom_id: "name", value: "Zoe Martin" }] },
        ],
      },
      message: { id: card.id },
    });
    // A modal cannot answer a modal; a deferred update of the card it came from can.
    expect((await callback(fake, submit.id, submit.token, { type: 9, data: modal })).status).toBe(
      400,
    );
    expect((await callback(fake, submit.id, submit.token, { type: 6 })).status).toBe(204);
  });
});
