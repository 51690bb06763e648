// The core's forms as Slack modals (Edit contact). A card button `form:<action>:<id>` is
// acknowledged at once, then the modal is opened with views.open and the press's trigger_id
// (valid for 3 seconds, once); the modal carries the conversation and the action in
// private_metadata. Its view_submission (the same request URL as the buttons, or Socket Mode)
// is answered with an empty body, which closes it, or with response_action "errors", which
// shows each problem under its field and keeps it open.
// https://docs.slack.dev/surfaces/modals
// https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload
import type { App } from "@slack/bolt";
import type { ChatForm, ChatHooks, FormAnswer } from "../../src/contracts/index.ts";
import { errorMessage } from "../../src/kernel/errors.ts";
import type { ListenContext } from "./listeners.ts";
import { type Block, FORM_ID } from "./render.ts";

/** The modal's callback_id: `form:<action>`. */
const CALLBACK = /^form:([a-z-]+)$/;

interface Meta {
  conversation: number;
  action: string;
}

const plain = (text: string, max: number) => ({
  type: "plain_text" as const,
  text: text.length <= max ? text : `${text.slice(0, max - 1)}…`,
});

/** A form as a modal view (title and buttons ≤ 24 characters, input blocks). */
export function modalView(form: ChatForm, meta: Meta, cancel = "Cancel") {
  const blocks: Block[] = form.intro ? [{ type: "section", text: plain(form.intro, 3000) }] : [];
  for (const f of form.fields) {
    blocks.push({
      type: "input",
      block_id: f.id,
      optional: !f.required,
      label: plain(f.label, 2000),
      element: {
        type: "plain_text_input",
        action_id: f.id,
        multiline: f.multiline === true,
        max_length: Math.min(f.maxLength, 3000),
        ...(f.value ? { initial_value: f.value.slice(0, 3000) } : {}),
        ...(f.placeholder ? { placeholder: plain(f.placeholder, 150) } : {}),
      },
    });
  }
  return {
    type: "modal" as const,
    callback_id: `form:${meta.action}`,
    private_metadata: JSON.stringify(meta),
    title: plain(form.title, 24),
    submit: plain(form.submitLabel, 24),
    close: plain(cancel, 24),
    blocks,
  };
}

function metaOf(text: string | undefined): Meta | undefined {
  try {
    const m = JSON.parse(text ?? "") as Partial<Meta>;
    return typeof m.conversation === "number" && typeof m.action === "string"
      ? { conversation: m.conversation, action: m.action }
      : undefined;
  } catch {
    return undefined;
  }
}

type StateValues = Record<string, Record<string, { value?: string | null }>>;

/** Each input's value by its block id ("" for an empty one: Slack sends null). */
function valuesOf(state: StateValues | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [block, actions] of Object.entries(state ?? {})) {
    const input = actions[block] ?? Object.values(actions)[0];
    out[block] = input?.value ?? "";
  }
  return out;
}

/** The form buttons and the modals' submissions. */
export function listenForms(app: App, hooks: ChatHooks, ctx: ListenContext): void {
  const { log, userName, background } = ctx;

  app.action(FORM_ID, async ({ ack, action, body, client, respond }) => {
    await ack();
    const m = FORM_ID.exec((action as { action_id?: string }).action_id ?? "");
    const trigger = (body as { trigger_id?: string }).trigger_id;
    if (!m?.[1] || !m[2] || !trigger) return;
    const meta = { conversation: Number(m[2]), action: m[1] };
    // views.open must come within 3 s of the press: no other call of Slack's before it.
    const p = (async () => {
      try {
        const form = await hooks.formFor({
          platform: "slack",
          conversationId: meta.conversation,
          action: meta.action,
          author: body.user.name ?? body.user.id,
          authorId: body.user.id,
        });
        if (!form) return;
        await client.views.open({
          trigger_id: trigger,
          view: modalView(form, meta, ctx.words.chat.cancel),
        });
      } catch (err) {
        log.error({ err: errorMessage(err) }, "form not opened");
        await respond({
          response_type: "ephemeral",
          replace_original: false,
          text: ctx.words.chat.formNotOpened,
        }).catch(() => {});
      }
    })().finally(() => background.delete(p));
    background.add(p);
  });

  app.view({ callback_id: CALLBACK, type: "view_submission" }, async ({ ack, view, body }) => {
    const meta = metaOf(view.private_metadata);
    if (!meta) {
      await ack();
      return;
    }
    const values = valuesOf(view.state?.values as StateValues | undefined);
    let answer: FormAnswer;
    try {
      answer = await hooks.onFormSubmit({
        platform: "slack",
        conversationId: meta.conversation,
        action: meta.action,
        values,
        author: await userName(body.user.id, body.user.name),
        authorId: body.user.id,
        // One modal is saved once, however often its submission arrives.
        eventId: view.id,
      });
    } catch (err) {
      log.error({ err: errorMessage(err) }, "form not saved");
      const first = Object.keys(values)[0] ?? "form";
      answer = { errors: { [first]: ctx.words.chat.notSavedNow } };
    }
    if (answer.errors && Object.keys(answer.errors).length > 0)
      await ack({ response_action: "errors", errors: answer.errors });
    else await ack();
  });
}
