// How the `ardary-bridge` command runs a registered command (src/cli/commands.ts): on the
// database, or through the running server when it holds the PGlite folder.

import type { Env } from "../boot/env.ts";
import { BadRequestError } from "../kernel/errors.ts";
import { commandNamed } from "./commands.ts";
import { callServerStream, withDatabase } from "./local.ts";

/** Runs a command on the database, or through the running server. */
export async function runCommand(env: Env, name: string, args: string[]): Promise<number> {
  const command = commandNamed(name);
  if (!command) return 2;
  const out = (chunk: string) =>
    new Promise<void>((resolve) => {
      if (process.stdout.write(chunk)) resolve();
      else process.stdout.once("drain", resolve);
    });
  try {
    command.check?.(args);
    return await withDatabase(
      env,
      (server) => callServerStream(server, `/run/${name}`, { args }, out),
      (services) => command.run(services, args, out),
    );
  } catch (err) {
    if (!(err instanceof BadRequestError)) throw err;
    console.error(`${err.message}\n\n${command.help}`);
    return 2;
  }
}
