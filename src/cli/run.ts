// How the `ardary-bridge` command runs a feature's command (`templates`, `routes`…, the features
// of src/boot/services.ts): on the database, or through the running server when it holds the
// PGlite folder (POST /internal/run/<command>, src/http/admin.ts, streams the same output).
import { resolve } from "node:path";
import type { Env } from "../boot/env.ts";
import { cliContext } from "../boot/services.ts";
import type { CliCommand } from "../conversations/features.ts";
import { BadRequestError } from "../kernel/errors.ts";
import { callServerStream, withDatabase } from "./local.ts";

/** Runs a command on the database, or through the running server. */
export async function runCommand(
  env: Env,
  name: string,
  command: CliCommand,
  given: string[],
): Promise<number> {
  const out = (chunk: string) =>
    new Promise<void>((done) => {
      if (process.stdout.write(chunk)) done();
      else process.stdout.once("drain", done);
    });
  try {
    command.check?.(given);
    const args = command.absolutePaths?.(given, (p) => resolve(p)) ?? given;
    return await withDatabase(
      env,
      (server) => callServerStream(server, `/run/${name}`, { args }, out),
      (services) => command.run(cliContext(services), args, out),
    );
  } catch (err) {
    if (!(err instanceof BadRequestError)) throw err;
    // A message that is the help itself is said once.
    const said = err.message.trim() === command.help.trim() ? "" : `${err.message}\n\n`;
    console.error(`${said}${command.help}`);
    return 2;
  }
}
