// What the setup page (`/`) and `ardary-bridge doctor` show of each part: lines, each ✓, ⚠️ or ✗
// with what to do in words. The core checks the database, the callback URL and what came and
// went; each adapter adds its own lines (its descriptor's `setupLines` from the configuration
// alone, its adapter's `setupChecks` that call out), and the core renders them all alike.

/** ✓ ok, ⚠️ warn, ✗ fail; `off`: a part that is not turned on (shown, never a problem). */
export type CheckState = "ok" | "warn" | "fail" | "off";

export interface SetupLine {
  /** A short stable key, unique within its part ("token", "channel"): the page's data-line. */
  id: string;
  /** What is checked, in a few words ("Bot token"). */
  label: string;
  state: CheckState;
  /**
   * What was found, in words. Never a secret, a token, a customer's number or a message's text:
   * the page is public.
   */
  found: string;
  /** What to do about it, in words, naming the variable or the command (⚠️, ✗ and off). */
  todo?: string;
  /** A link to follow (the app's manifest, the invite URL). */
  link?: { href: string; text: string };
  /** A command that shows or does the same in a terminal (`npx ardary-bridge …`). */
  command?: string;
}

/** What a setup check gets from the core. */
export interface SetupContext {
  /**
   * The address people reach this bridge at: PUBLIC_URL (or the platform's), else the one the
   * page was opened at (`guessed`); undefined when not known (`doctor` without PUBLIC_URL).
   */
  publicUrl?: string;
  /** True when `publicUrl` is the address the page was reached at, not a configured one. */
  guessed: boolean;
  /**
   * Calls out at most once a minute: the last answer of `name` (or the call in flight) is reused.
   * Waits no longer than the page's deadline: past it, rejects with NoAnswerError
   * (src/kernel/errors.ts) while the call goes on, and its answer serves the next look.
   */
  remote<T>(name: string, call: () => Promise<T>): Promise<T>;
  /** Formats a past moment for people: "3 min ago". */
  ago(at: Date): string;
}

/** A file the setup page serves at `/setup/<name>`, filled in with the bridge's address. */
export interface SetupFile {
  name: string;
  contentType: string;
  /**
   * The file for a bridge reached at `publicUrl` (an https:// or http:// address; unused with
   * `socketMode`, where the platform needs no address). `note`: a word to put at its top (the
   * address was not configured but guessed), as the format's comment.
   */
  render(publicUrl: string | undefined, options: { socketMode: boolean; note?: string }): string;
}
