// The domain's words, shared by the core and every adapter: a platform's name, an SMS's status
// and priority, the helpers for optional variables and plain objects.
import { z } from "zod";

/** A chat platform's name, as its adapter declares it ("slack", "discord"). */
export type Platform = string;

/**
 * Status of one SMS. It only moves forward: queued → submitted → sent → received, or failed, or
 * cancelled (a person stopped it before it left). `unknown`: the provider may or may not have
 * taken it (its answer never came); its delivery report decides.
 */
export type MessageStatus =
  | "queued"
  | "submitted"
  | "unknown"
  | "sent"
  | "received"
  | "failed"
  | "cancelled";

export type Priority = "low" | "normal" | "high";

/** An optional environment variable: trimmed, and unset when empty. */
export const optionalVar = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

/**
 * An optional variable read by `parse` (which throws a message in words when the value is
 * wrong): unset when empty, and the message is the boot error's.
 */
export function parsedVar<T>(parse: (value: string) => T) {
  return z
    .string()
    .trim()
    .optional()
    .transform((v, ctx): T | undefined => {
      if (!v) return undefined;
      try {
        return parse(v);
      } catch (err) {
        ctx.addIssue({ code: "custom", message: (err as Error).message });
        return z.NEVER;
      }
    });
}

export type Obj = Record<string, unknown>;
export const isObject = (v: unknown): v is Obj =>
  typeof v === "object" && v !== null && !Array.isArray(v);
