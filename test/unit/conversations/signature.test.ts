// SMS_SIGNATURE: checked at boot (an unknown field is named), added once under the text, filled
// with the fields of templates.
import { describe, expect, it } from "vitest";
import { EnvError, loadEnv } from "../../../src/boot/env.ts";
import { appendSignature, signText } from "../../../src/conversations/signature.ts";
import type { Db } from "../../../src/db/database.ts";

const credentials = { ARDARY_ACCESS_KEY: "key", ARDARY_LOGIN: "me@example.com" };

describe("SMS_SIGNATURE", () => {
  it("is checked at boot: an unknown field is named with the known ones", () => {
    expect(
      loadEnv({ ...credentials, SMS_SIGNATURE: "- {agent_first_name}, Acme" }).SMS_SIGNATURE,
    ).toBe("- {agent_first_name}, Acme");
    expect(loadEnv({ ...credentials, SMS_SIGNATURE: "  " }).SMS_SIGNATURE).toBeUndefined();
    let error: unknown;
    try {
      loadEnv({ ...credentials, SMS_SIGNATURE: "- {agent_firstname} {team}, Acme" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(EnvError);
    expect((error as EnvError).problems).toEqual([
      "SMS_SIGNATURE: unknown field {agent_firstname}, {team} (the fields are {first_name} {name} {agent} {agent_first_name}) (expected a line added under people's SMS, e.g. `- {agent_first_name}, Acme`)",
    ]);
  });

  it("goes on a line of its own under the text, once", () => {
    expect(appendSignature("See you tomorrow", "- Alice, Acme")).toBe(
      "See you tomorrow\n- Alice, Acme",
    );
    expect(appendSignature("See you tomorrow \n", "- Alice, Acme")).toBe(
      "See you tomorrow\n- Alice, Acme",
    );
    expect(appendSignature("Thanks\n- Alice, Acme", "- Alice, Acme")).toBe("Thanks\n- Alice, Acme");
  });

  it("is filled with the author's fields (no contact needed: the database is not read)", async () => {
    const noDb = {} as Db;
    const o = { phone: "+33612345678", author: "Alice Martin" };
    expect(await signText(noDb, undefined, "Hi", o)).toBe("Hi");
    expect(await signText(noDb, "— {agent_first_name} ({agent})", "Hi", o)).toBe(
      "Hi\n— Alice (Alice Martin)",
    );
    // A field with no value here: the SMS leaves without the signature rather than a broken one.
    expect(await signText(noDb, "- {agent_first_name}", "Hi", { ...o, author: " " })).toBe("Hi");
  });
});
