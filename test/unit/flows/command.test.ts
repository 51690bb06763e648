// The /sms command (src/flows/command.ts): its number, text and options, usage for help and
// for each mistake, national numbers read in PHONE_DEFAULT_COUNTRY, http(s)-only links.
import { describe, expect, it } from "vitest";
import { isHttpLink, parseSmsCommand, usage } from "../../../src/flows/command.ts";
import { toE164 } from "../../../src/kernel/phone.ts";

const ctx = { parseLocalDate: () => null, linkPlaceholder: "[Link]" };

describe("/sms", () => {
  const now = new Date("2026-11-27T10:00:00Z");
  const parseLocalDate = (v: string) => (Number.isNaN(Date.parse(v)) ? null : new Date(v));
  const USAGE = usage("[Link]");
  const parse = (args: string) =>
    parseSmsCommand(args, { parseLocalDate, linkPlaceholder: "[Link]" }, [], now);

  it("reads the number, the text and the options", () => {
    expect(parse("+15551234567 Hello there")).toEqual({
      ok: true,
      phone: "+15551234567",
      text: "Hello there",
      priority: "normal",
      marketing: false,
    });
    expect(
      parse(
        '+15551234567 --at "2026-12-01T09:00:00Z" --priority high --link https://x.io/a Track [Link] here',
      ),
    ).toEqual({
      ok: true,
      phone: "+15551234567",
      text: "Track [Link] here",
      sendAt: new Date("2026-12-01T09:00:00Z"),
      link: "https://x.io/a",
      priority: "high",
      marketing: false,
    });
    expect(parse("--link https://x.io +15551234567 See")).toMatchObject({
      ok: true,
      text: "See [Link]",
    });
    // `--marketing` takes no value; inside the text it is text.
    expect(parse("+15551234567 --marketing Summer sale --marketing")).toMatchObject({
      ok: true,
      text: "Summer sale --marketing",
      marketing: true,
    });
    expect(parse("--marketing +15551234567 Sale")).toMatchObject({ ok: true, marketing: true });
  });

  it("explains usage for help and each mistake, sending nothing", () => {
    expect(parse("")).toEqual({ ok: false, message: USAGE });
    expect(parse("help")).toEqual({ ok: false, message: USAGE });
    const cases: Record<string, RegExp> = {
      "12 hello": /not a phone number/,
      "+15551234567": /empty/,
      "+15551234567 --colour red hi": /Unknown option `--colour`/,
      "+15551234567 --at tomorrow hi": /not a date/,
      '+15551234567 --at "2020-01-01T00:00:00Z" hi': /in the past/,
      "+15551234567 --link ftp://x hi": /not an http/,
      "+15551234567 --priority urgent hi": /low, normal or high/,
      "+15551234567 --at": /needs a value/,
    };
    for (const [args, reason] of Object.entries(cases)) {
      const r = parse(args);
      expect(r.ok, args).toBe(false);
      if (!r.ok) {
        expect(r.message, args).toMatch(reason);
        expect(r.message, args).toContain("Send an SMS");
      }
    }
  });
});

describe("national numbers", () => {
  it("/sms 0612345678 works with PHONE_DEFAULT_COUNTRY, and without it says how to set it", () => {
    expect(toE164("06 12 34 56 78", "FR")).toBe("+33612345678");
    expect(toE164("+44 20 7946 0018", "FR")).toBe("+442079460018");
    const ok = parseSmsCommand("0612345678 Bonjour", { ...ctx, defaultCountry: "FR" });
    expect(ok).toMatchObject({ ok: true, phone: "+33612345678", text: "Bonjour" });
    const no = parseSmsCommand("0612345678 Bonjour", ctx);
    expect(no.ok).toBe(false);
    expect(no.ok ? "" : no.message).toContain("set PHONE_DEFAULT_COUNTRY");
  });
});

describe("input hygiene", () => {
  it("accepts links only as http(s) URLs", () => {
    expect(isHttpLink("https://example.com/x?y=1")).toBe(true);
    expect(isHttpLink("HTTP://example.com")).toBe(true);
    for (const bad of ["javascript:alert(1)", "data:text/html,x", "https://", "ftp://x", "//x"])
      expect(isHttpLink(bad), bad).toBe(false);
  });
});
