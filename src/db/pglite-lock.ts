// PGlite is one process's database: two processes opening the same folder corrupt it. The
// opener writes DATA_DIR/ardary-bridge.lock (its pid); another opener refuses with a clear
// message, unless that pid is gone (a crash or a kill left the lock behind: it is taken over).
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";

export const LOCK_FILE = "ardary-bridge.lock";

interface LockInfo {
  pid: number;
  command: string;
  since: string;
}

/** Folders this process holds (a pid equal to ours in a lock we do not hold is a stale one). */
const held = new Set<string>();

export class DataDirLockedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "DataDirLockedError";
  }
}

function alive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function read(path: string): LockInfo | null {
  try {
    return JSON.parse(readFileSync(path, "utf8")) as LockInfo;
  } catch {
    return null;
  }
}

/** Takes the folder for this process; returns the release function. */
export function lockDataDir(dataDir: string): () => void {
  const dir = resolve(dataDir);
  if (held.has(dir))
    throw new DataDirLockedError(`DATA_DIR ${dataDir} is already open in this process`);
  const path = join(dir, LOCK_FILE);
  const mine: LockInfo = {
    pid: process.pid,
    command: process.argv.slice(2).join(" ") || "node",
    since: new Date().toISOString(),
  };
  for (let attempt = 0; ; attempt++) {
    try {
      writeFileSync(path, JSON.stringify(mine), { flag: "wx", mode: 0o600 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw err;
      const other = read(path);
      if (other && alive(other.pid)) {
        throw new DataDirLockedError(
          `DATA_DIR ${dataDir} is in use by another ardary-bridge process (pid ${other.pid}, "${other.command}", since ${other.since}): ` +
            "stop it first, or set DATA_DIR to another folder (the embedded database allows one process per folder)",
        );
      }
      rmSync(path, { force: true }); // left by a process that is gone
    }
  }
  held.add(dir);
  return () => {
    held.delete(dir);
    if (read(path)?.pid === process.pid) rmSync(path, { force: true });
  };
}
