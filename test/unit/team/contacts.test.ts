// The team's pure pieces: national numbers read in PHONE_DEFAULT_COUNTRY, route prefixes and
// channel mentions, and contacts read from a CSV.
import { describe, expect, it } from "vitest";
import { parseSmsCommand } from "../../../src/flows/command.ts";
import { toE164 } from "../../../src/kernel/phone.ts";
import { readContactsCsv } from "../../../src/team/contacts.ts";
import { channelIdOf, parsePrefix } from "../../../src/team/routes.ts";

const ctx = { parseLocalDate: () => null, linkPlaceholder: "[Link]" };

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

describe("routes", () => {
  it("reads prefixes and the channel forms of both platforms", () => {
    expect(parsePrefix("+44 20")).toBe("+4420");
    expect(parsePrefix("0033")).toBe("+33");
    expect(parsePrefix("uk")).toBeUndefined();
    expect(channelIdOf("<#C0SALES|sales>")).toBe("C0SALES");
    expect(channelIdOf("<#123456789012345678>")).toBe("123456789012345678");
    expect(channelIdOf("C0SALES")).toBe("C0SALES");
    expect(channelIdOf("#sales")).toBeUndefined();
  });
});

describe("contacts CSV", () => {
  it("keeps quoted fields, other columns, and reports unusable numbers", () => {
    const csv =
      'Phone,Name,Company,Tier\r\n0612345678,"Martin, Zoe",Acme,gold\r\n12,Nobody,,\r\n+15550400001,"Say ""hi""",,silver\r\n';
    const { rows, problems } = readContactsCsv(csv, "FR");
    expect(rows).toMatchObject([
      {
        phone: "+33612345678",
        firstName: "Martin,",
        lastName: "Zoe",
        company: "Acme",
        fields: { tier: "gold" },
      },
      { phone: "+15550400001", firstName: "Say", lastName: '"hi"', fields: { tier: "silver" } },
    ]);
    expect(problems).toEqual(['line 3: "12" is not a phone number']);
    expect(readContactsCsv("name\nZoe\n").problems).toEqual(["the header row has no phone column"]);
  });
});
