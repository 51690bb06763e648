// A bridge whose worker does not run, beside a fake Slack and a Slack adapter of the test's own
// pointed at it: the flows that play a worker's chat jobs by hand (delivery step by step, a
// worker killed mid-post). The test closes `h` and `fake` when it ends.
import type { Logger } from "pino";
import { createSlackAdapter } from "../../adapters/slack/index.ts";
import type { ChatAdapter } from "../../src/contracts/index.ts";
import { sharedBudget } from "../../src/queue/budget.ts";
import { type FakeSlack, startFakeSlack } from "../fakes/slack.ts";
import { type Harness, startHarness } from "./harness.ts";

export interface SlackByHand {
  fake: FakeSlack;
  h: Harness;
  /** Paced far above the tests' needs: a test that wants Slack's limits sets them on the fake. */
  adapter: ChatAdapter;
}

export async function startSlackByHand(log: Logger): Promise<SlackByHand> {
  const fake = await startFakeSlack({ channels: ["C0GENERAL"] });
  const h = await startHarness({
    worker: false,
    env: {
      SLACK_BOT_TOKEN: fake.botToken,
      SLACK_SIGNING_SECRET: fake.signingSecret,
      SLACK_CHANNEL: "C0GENERAL",
      SLACK_API_URL: fake.apiUrl,
    },
  }).catch(async (err) => {
    await fake.close();
    throw err;
  });
  const adapter = createSlackAdapter({
    botToken: fake.botToken,
    channel: "C0GENERAL",
    apiUrl: fake.apiUrl,
    log,
    pacing: { burst: 100, perSecond: 100 },
    budget: sharedBudget(h.bridge.database.db, "slack"),
  });
  return { fake, h, adapter };
}
