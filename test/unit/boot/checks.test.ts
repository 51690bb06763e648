// The boot says what is wrong: test mode with real credentials, a callback URL nobody can reach,
// the embedded database on a platform that wipes the disk, a sender name nobody can answer; a
// sender name Ardary would refuse stops the boot; the platform's own public URL.
import { Writable } from "node:stream";
import pino from "pino";
import { describe, expect, it } from "vitest";
import { bootWarnings } from "../../../src/boot/checks.ts";
import { loadEnv } from "../../../src/boot/env.ts";
import { callbackUrl } from "../../../src/http/app.ts";
import { startBridge } from "../../../src/main.ts";

const credentials = { ARDARY_ACCESS_KEY: "key", ARDARY_LOGIN: "me@example.com" };

describe("boot checks", () => {
  it("test mode with credentials set warns that no SMS leaves; prod does not", () => {
    const test = bootWarnings(
      loadEnv({ ...credentials, PUBLIC_URL: "https://x.example" }),
      "postgres",
    );
    expect(test).toEqual([expect.stringMatching(/^ARDARY_MODE is test: .*set ARDARY_MODE=prod/)]);
    const prod = loadEnv({ ...credentials, PUBLIC_URL: "https://x.example", ARDARY_MODE: "prod" });
    expect(bootWarnings(prod, "postgres")).toEqual([]);
  });

  it("PUBLIC_URL falls back to Heroku's app domain, then to Render's external URL", () => {
    const heroku = loadEnv({ HEROKU_APP_DEFAULT_DOMAIN_NAME: "acme-1a2b.herokuapp.com" });
    expect(heroku.PUBLIC_URL).toBe("https://acme-1a2b.herokuapp.com");
    expect(callbackUrl(heroku, 3000, "secret-secret-1234", true)).toBe(
      "https://acme-1a2b.herokuapp.com/ardary/callback/secret-secret-1234",
    );
    const render = loadEnv({ RENDER_EXTERNAL_URL: "https://acme.onrender.com" });
    expect(render.PUBLIC_URL).toBe("https://acme.onrender.com");
    expect(
      loadEnv({ PUBLIC_URL: "https://mine.example", RENDER_EXTERNAL_URL: "https://r" }).PUBLIC_URL,
    ).toBe("https://mine.example");
  });

  it("without a public URL, the printed URL is said to be unreachable (not with a local simulator)", () => {
    const env = loadEnv({ ARDARY_MODE: "prod", DYNO: "web.1" });
    expect(bootWarnings(env, "postgres")).toEqual([
      expect.stringMatching(
        /^PUBLIC_URL is not set: .*not reachable from the internet.*runtime-dyno-metadata/,
      ),
    ]);
    const local = loadEnv({ ARDARY_MODE: "prod", ARDARY_API_URL: "http://127.0.0.1:4010/api" });
    expect(bootWarnings(local, "pglite")).toEqual([]);
  });

  it("the embedded database on Heroku or Render warns that data is lost at each restart", () => {
    const base = { ARDARY_MODE: "prod", PUBLIC_URL: "https://x.example" };
    expect(bootWarnings(loadEnv({ ...base, DYNO: "web.1" }), "pglite")).toEqual([
      expect.stringMatching(/^DATABASE_URL is not set on Heroku: .*lost at each restart/),
    ]);
    expect(bootWarnings(loadEnv({ ...base, RENDER: "true" }), "pglite")).toEqual([
      expect.stringMatching(/^DATABASE_URL is not set on Render/),
    ]);
    expect(bootWarnings(loadEnv({ ...base, DYNO: "web.1" }), "postgres")).toEqual([]);
  });

  it("a sender name Ardary would refuse is a boot error naming the rule", () => {
    for (const name of ["Acme Shop", "AcmeShopFrance", "12345", "Café", "AB"])
      expect(() => loadEnv({ ...credentials, ARDARY_SENDER_NAME: name })).toThrow(
        new RegExp(
          `ARDARY_SENDER_NAME: "${name}" cannot be an SMS sender name: .*3 to 11 characters, letters \\(A-Z, no accents\\) and digits only, with at least one letter`,
        ),
      );
    expect(loadEnv({ ...credentials, ARDARY_SENDER_NAME: "AcmeUK2" }).values).toMatchObject({
      ARDARY_SENDER_NAME: "AcmeUK2",
    });
    expect(() => loadEnv({ ...credentials, ARDARY_ADD_REPLY: "maybe" })).toThrow(
      /ARDARY_ADD_REPLY: .*true \(the default/,
    );
  });

  it("a sender name without replies is said: customers could not answer", () => {
    const warnings = (vars: Record<string, string>) => {
      const env = loadEnv({ ...credentials, ARDARY_MODE: "prod", ...vars });
      return env.sms.descriptor.warnings?.(env.sms.config) ?? [];
    };
    expect(warnings({ ARDARY_SENDER_NAME: "Acme", ARDARY_ADD_REPLY: "false" })).toEqual([
      expect.stringMatching(
        /^ARDARY_SENDER_NAME is set \(Acme\) without replies \(ARDARY_ADD_REPLY=false\): customers cannot answer/,
      ),
    ]);
    expect(warnings({ ARDARY_SENDER_NAME: "Acme" })).toEqual([]);
    expect(warnings({ ARDARY_ADD_REPLY: "false" })).toEqual([]);
  });

  it("the warnings reach the boot log", { timeout: 60_000 }, async () => {
    const lines: { level: number; msg: string }[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const env = loadEnv({
      ...credentials,
      PORT: "0",
      DATA_DIR: "memory://",
      PUBLIC_URL: "https://x.example",
      ARDARY_SENDER_NAME: "Acme",
      ARDARY_ADD_REPLY: "false",
    });
    const running = await startBridge(env, pino({ level: "info" }, sink));
    await running.close();
    expect(lines).toContainEqual(
      expect.objectContaining({ level: 40, msg: expect.stringMatching(/^ARDARY_MODE is test/) }),
    );
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: expect.stringMatching(/^ARDARY_SENDER_NAME is set \(Acme\) without replies/),
      }),
    );
  });
});
