// Forms the core's buttons open (a button of kind "form": Edit contact). The adapter asks for
// the form when the button is pressed (filled with the current values, read then) and shows it
// its own way (a Slack modal, a Discord modal); the submitted values come back here, are
// checked (a problem is shown on its field, the form stays open where the platform allows) and
// saved in one transaction with the jobs that tell the other side.
import type { Logger } from "pino";
import {
  type ActionInput,
  type Catalogue,
  type ChatForm,
  type FormAnswer,
  type FormInput,
  wordsOf,
} from "../contracts/index.ts";
import type { FormHandler } from "../conversations/features.ts";
import * as store from "../conversations/store.ts";
import type { Db } from "../db/database.ts";
import { enqueue } from "../queue/jobs.ts";

type Forms = ReadonlyMap<string, FormHandler>;

/** The form a pressed button opens, filled; null when the action or conversation is unknown. */
export async function openForm(
  db: Db,
  forms: Forms,
  input: ActionInput,
  words: Catalogue = wordsOf(),
): Promise<ChatForm | null> {
  const handler = forms.get(input.action);
  if (!handler) return null;
  const conv = await store.getConversation(db, input.conversationId);
  if (!conv || conv.platform !== input.platform) return null;
  return handler.open(db, conv, words);
}

/** A submitted form: checked, then saved once per submission (a replay does nothing). */
export async function submitForm(
  db: Db,
  forms: Forms,
  input: FormInput,
  log: Logger,
  words: Catalogue = wordsOf(),
): Promise<FormAnswer> {
  const handler = forms.get(input.action);
  if (!handler) {
    log.warn({ action: input.action.slice(0, 40) }, "unknown form: ignored");
    return {};
  }
  const values = Object.fromEntries(
    Object.entries(input.values).map(([k, v]) => [k, String(v ?? "").trim()]),
  );
  const errors = handler.check(values, words);
  if (errors) return { errors };
  await db.transaction(async (tx) => {
    const conv = await store.claimInput(tx, "form", input);
    if (!conv) return;
    await enqueue(tx, ...(await handler.submit(tx, conv, { ...input, values }, log, words)));
  });
  return {};
}
