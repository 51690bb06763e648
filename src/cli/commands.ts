// CLI commands other modules add (`templates`, `export`, `forget`…), registered like `/sms`
// subcommands. Each writes its output through `write`, whether it runs on the database itself
// or inside the running server (PGlite: one process holds the folder), where
// POST /internal/run/<command> streams the same output (src/cli/run.ts is the CLI's side).
import type { Router } from "express";
import type { Services } from "../boot/services.ts";
import { BadRequestError } from "../kernel/errors.ts";

export interface CliCommand {
  summary: string;
  help: string;
  /** Throws BadRequestError on bad arguments, before any database is opened. */
  check?(args: string[]): void;
  /** Writes its output; returns the exit code. Throws BadRequestError on bad arguments. */
  run(services: Services, args: string[], write: (chunk: string) => Promise<void>): Promise<number>;
}

const commands = new Map<string, CliCommand>();

export function registerCliCommand(name: string, command: CliCommand): void {
  commands.set(name, command);
}

export function commandNamed(name: string): CliCommand | undefined {
  return commands.get(name);
}

/** `  name  summary` lines for the main help. */
export function commandLines(): string[] {
  return [...commands].map(([n, c]) => `  ${n.padEnd(16)} ${c.summary}`);
}

/** The server side: POST /internal/replies/<command> {args} streams the command's output. */
export function mountCommandRoutes(router: Router, services: Services): void {
  router.post("/run/:name", async (req, res) => {
    const command = commands.get(String(req.params.name));
    if (!command) throw new BadRequestError(`unknown command ${String(req.params.name)}`);
    const { args } = req.body as { args?: unknown };
    if (!Array.isArray(args)) throw new BadRequestError("args must be a list");
    let started = false;
    const write = async (chunk: string) => {
      if (!started) {
        started = true;
        res.status(200).type("text/plain; charset=utf-8");
      }
      if (!res.write(chunk)) await new Promise((r) => res.once("drain", r));
    };
    const code = await command.run(services, args.map(String), write);
    if (!started) res.status(200).type("text/plain; charset=utf-8");
    res.end(code === 0 ? "" : `\n(exit ${code})\n`);
  });
}
