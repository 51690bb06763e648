// Phone numbers (src/kernel/phone.ts): every international form to E.164, masked for logs,
// formatted for people. (National numbers, read in PHONE_DEFAULT_COUNTRY by /sms:
// test/unit/flows/command.test.ts.)
import { describe, expect, it } from "vitest";
import { formatPhone, maskPhone, toE164 } from "../../../src/kernel/phone.ts";

describe("phone numbers", () => {
  it("normalises every international form to E.164 and refuses what is not a number", () => {
    expect(toE164("+33 6 12 34 56 78")).toBe("+33612345678");
    expect(toE164("0033612345678")).toBe("+33612345678");
    expect(toE164("33612345678")).toBe("+33612345678");
    expect(toE164("+1 (555) 000-1111")).toBe("+15550001111");
    expect(toE164("hello")).toBeNull();
    expect(toE164("+12")).toBeNull();
  });

  it("masks for logs and formats for people", () => {
    expect(maskPhone("+33612345678")).toBe("+336******78");
    expect(formatPhone("+33612345678")).toBe("+33 6 12 34 56 78");
  });
});
