// Contacts read from a CSV (src/team/contacts.ts): quoted fields, other columns, unusable
// numbers reported.
import { describe, expect, it } from "vitest";
import { readContactsCsv } from "../../../src/team/contacts.ts";

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
