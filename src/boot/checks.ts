// What the boot log warns about: a configuration that runs but does not do what a team expects
// (SMS that never leave, a callback URL nobody can reach, data lost at the next restart).
import type { Env } from "./env.ts";

/** The PaaS this process runs on, when its disk is wiped at each restart. */
export function ephemeralPlatform(env: Pick<Env, "DYNO" | "RENDER">): string | undefined {
  if (env.DYNO) return "Heroku";
  if (env.RENDER) return "Render";
  return undefined;
}

/** Warnings for the boot log, one line each, each naming the variable to change. */
export function bootWarnings(env: Env, database: "postgres" | "pglite"): string[] {
  const warnings: string[] = [];
  const provider = env.sms.descriptor;
  const testMode = provider.testMode?.(env.sms.config);
  if (testMode) warnings.push(testMode.warning);
  if (!env.PUBLIC_URL && !provider.isLocal?.(env.sms.config)) {
    warnings.push(
      "PUBLIC_URL is not set: the callback URL printed above is not reachable from the internet, so the SMS provider cannot call back; set PUBLIC_URL to this server's https:// address" +
        (env.DYNO
          ? " (or run `heroku labs:enable runtime-dyno-metadata` for the app's domain)"
          : ""),
    );
  }
  const platform = ephemeralPlatform(env);
  if (database === "pglite" && platform) {
    warnings.push(
      `DATABASE_URL is not set on ${platform}: the embedded database in DATA_DIR is lost at each restart; add a Postgres and set DATABASE_URL`,
    );
  }
  return warnings;
}

/** The warning `send` and `/sms` answers carry while nothing leaves (a provider's test mode). */
export function testModeNotice(env: Env): string | undefined {
  return env.sms.descriptor.testMode?.(env.sms.config)?.notice;
}
