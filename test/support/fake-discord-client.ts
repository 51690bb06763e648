// The fake Discord against the real, unmodified discord.js Client: a logged-in client on a fresh
// fake, for the fake's own tests (test/unit/fakes/discord-*.test.ts). Each test file that imports
// this gets its own copy (vitest isolates files) and closes what it opened after each test.
import { once } from "node:events";
import { Client, type ClientEvents, Events, GatewayIntentBits } from "discord.js";
import { afterEach } from "vitest";
import { type FakeDiscord, type FakeDiscordOptions, startFakeDiscord } from "../fakes/discord.ts";

export const INTENTS = [
  GatewayIntentBits.Guilds,
  GatewayIntentBits.GuildMessages,
  GatewayIntentBits.MessageContent,
];

/** The fake and the client of the running test. */
export const world = {} as { fake: FakeDiscord; client: Client };
/** What the running test opened, closed after it. */
export const open: { clients: Client[]; fakes: FakeDiscord[] } = { clients: [], fakes: [] };

export async function start(options: FakeDiscordOptions = {}): Promise<void> {
  world.fake = await startFakeDiscord(options);
  open.fakes.push(world.fake);
  world.client = new Client({
    intents: INTENTS,
    rest: { api: world.fake.apiUrl },
    // Re-identifying within 5 s of the last IDENTIFY otherwise waits up to 6.5 s.
    ws: { buildIdentifyThrottler: async () => ({ waitForIdentify: async () => {} }) },
  });
  open.clients.push(world.client);
  const ready = once(world.client, Events.ClientReady);
  await world.client.login(world.fake.token);
  await ready;
}

export function channelOf<T>(id: string | undefined): T {
  const channel = world.client.channels.cache.get(id ?? "");
  if (!channel) throw new Error(`channel ${id} not cached`);
  return channel as T;
}

export function next<K extends keyof ClientEvents>(
  event: K,
  filter: (...args: ClientEvents[K]) => boolean = () => true,
): Promise<ClientEvents[K]> {
  return new Promise((resolve) => {
    const listener = (...args: ClientEvents[K]) => {
      if (!filter(...args)) return;
      world.client.off(event, listener);
      resolve(args);
    };
    world.client.on(event, listener);
  });
}

afterEach(async () => {
  for (const c of open.clients.splice(0)) await c.destroy();
  for (const f of open.fakes.splice(0)) await f.close();
});
