// The team's CLI commands (`routes`, later `contacts`…): run on the database, or through the
// running server when it holds the PGlite folder (POST /internal/team).
import { resolve } from "node:path";
import type { Env } from "../boot/env.ts";
import { type CliOutput, runTeamCli } from "../team/team.ts";
import { callServer, withDatabase } from "./local.ts";

export { TEAM_HELP } from "../team/team.ts";

export async function teamCli(env: Env, command: string, given: string[]): Promise<number> {
  // A file is read by whichever process runs the command: its path must not depend on ours.
  const args =
    command === "contacts" && given[0] === "import" && given[1]
      ? ["import", resolve(given[1]), ...given.slice(2)]
      : given;
  const out = await withDatabase(
    env,
    (server) => callServer<CliOutput>(server, "/team", { command, args }),
    (services) => runTeamCli(services.database.db, command, args, env.PHONE_DEFAULT_COUNTRY),
  );
  const print = out.code === 0 ? console.log : console.error;
  for (const line of out.lines) print(line);
  return out.code;
}
