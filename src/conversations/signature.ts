// SMS_SIGNATURE: a line added under the SMS a person sends (a thread reply, `/sms`, a CLI send
// that names its author), e.g. `— {agent_first_name}, Acme`, with the fields of templates
// (src/conversations/fields.ts). Never under the bridge's own SMS (the auto-reply). It is part of the SMS:
// its segments and encoding are counted with it, and the thread shows the text as sent. A
// field with no value here leaves the signature out rather than send a broken one.
import { optionalVar } from "../contracts/index.ts";
import type { Db } from "../db/database.ts";
import { FIELD_LIST, fillFields, unknownFields } from "./fields.ts";

/** The variable: checked at boot, an unknown field is named. */
export const signatureVar = optionalVar.superRefine((v, ctx) => {
  const unknown = v === undefined ? [] : unknownFields(v);
  if (unknown.length > 0)
    ctx.addIssue({
      code: "custom",
      message: `unknown field ${unknown.join(", ")} (the fields are ${FIELD_LIST})`,
    });
});

/** The text with the signature line under it (once: a text already ending with it is kept). */
export function appendSignature(text: string, signature: string): string {
  const body = text.trimEnd();
  if (signature === "" || body.endsWith(signature)) return text;
  return `${body}\n${signature}`;
}

/** The text as it leaves: signed for this customer and author, when a signature is set. */
export async function signText(
  db: Db,
  signature: string | undefined,
  text: string,
  o: { phone: string; author: string },
): Promise<string> {
  if (!signature) return text;
  const filled = await fillFields(db, signature, o);
  return "text" in filled ? appendSignature(text, filled.text.trim()) : text;
}
