// The steps an SMS has reached, in order, for the chat side to show (a status line, reactions).
// One rule for every platform; each adapter only picks its emoji and words.
import type { StatusView } from "./chat.ts";
import type { MessageStatus } from "./domain.ts";
import { type Catalogue, fill, wordsOf } from "./i18n/index.ts";
import type { SegmentCount } from "./sms.ts";

/**
 * The encoding in words, with what forced Unicode: "GSM-7", "Unicode because of 🎉" (`w`'s words;
 * English, as stored on the SMS, by default).
 */
export function encodingWords(c: SegmentCount, w: Catalogue = wordsOf()): string {
  if (c.encoding === "GSM-7") return "GSM-7";
  return c.unicodeBecause ? fill(w.status.unicodeBecause, { what: c.unicodeBecause }) : "Unicode";
}

/** True when a text costs more than a plain SMS: several parts, or Unicode. */
export function costsMore(c: SegmentCount): boolean {
  return c.segments > 1 || c.encoding !== "GSM-7";
}

/** "2 SMS · Unicode because of 🎉": what a status line says of the cost. */
export function costLine(segments: number, encoding: string | null | undefined): string {
  return `${segments} SMS${encoding ? ` · ${encoding}` : ""}`;
}

/** `held`: it has not left, and will not while a STOP or a Block holds (StatusView.held). */
export type Step = "scheduled" | "held" | MessageStatus;

export interface StepReached {
  step: Step;
  /** When the step happened (sent, received) or will (scheduled). */
  at?: Date;
}

/**
 * Every step reached, in order; a later step implies the earlier ones (a `received` that came
 * before its `sent` still shows both). A queued SMS with a future time is `scheduled`; one a
 * STOP or a Block holds back is `held` instead, whatever its time (the sender refuses it then).
 */
export function stepsReached(s: StatusView, now = new Date()): StepReached[] {
  if (s.status === "queued" && s.held) return [{ step: "held" }];
  const queued: StepReached =
    s.sendAt && s.sendAt.getTime() > now.getTime() && s.status === "queued"
      ? { step: "scheduled", at: s.sendAt }
      : { step: "queued" };
  const sent: StepReached = { step: "sent", at: s.sentAt ?? undefined };
  if (s.status === "failed") return [queued, ...(s.sentAt ? [sent] : []), { step: "failed" }];
  if (s.status === "cancelled") return [queued, { step: "cancelled" }];
  if (s.status === "unknown" && !s.sentAt && !s.receivedAt) return [queued, { step: "unknown" }];
  const rank: MessageStatus[] = ["queued", "submitted", "sent", "received"];
  let reached = Math.max(0, rank.indexOf(s.status));
  if (s.receivedAt) reached = 3;
  else if (s.sentAt) reached = Math.max(reached, 2);
  return rank
    .slice(0, reached + 1)
    .map((step) =>
      step === "queued"
        ? queued
        : step === "sent"
          ? sent
          : step === "received"
            ? { step, at: s.receivedAt ?? undefined }
            : { step },
    );
}
