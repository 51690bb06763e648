// The environment of a bridge the bench spawns (figure 6, profile-boot.ts, profile-ingest.ts):
// the provider's simulator as Ardary and the fake Slack as Slack, posting in C0GENERAL, logging
// warnings and above. The caller adds the port and the database.
import type { Simulator } from "../adapters/ardary/simulator/index.ts";
import type { FakeSlack } from "../test/fakes/slack.ts";
import { SECRET, SIM_KEY, SIM_LOGIN } from "../test/support/harness.ts";

export function servedEnv(sim: Simulator, fake: FakeSlack): Record<string, string> {
  return {
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "",
    ARDARY_API_URL: sim.apiUrl,
    ARDARY_ACCESS_KEY: SIM_KEY,
    ARDARY_LOGIN: SIM_LOGIN,
    ARDARY_MODE: "prod",
    ARDARY_CALLBACK_SECRET: SECRET,
    SLACK_BOT_TOKEN: fake.botToken,
    SLACK_SIGNING_SECRET: fake.signingSecret,
    SLACK_CHANNEL: "C0GENERAL",
    SLACK_API_URL: fake.apiUrl,
    LOG_LEVEL: "warn",
  };
}
