// The last-resort guard for driver faults (src/db/driver-guard.ts): it knows postgres.js's
// write on a closed socket and an unheard socket reset, keeps a process up on them (replacing
// the pool), and lets every other uncaught error end the process as Node would. The process
// is a real one: `node --import tsx` running the guard.
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { isKnownDriverFault } from "../../src/db/driver-guard.ts";
import { PG_ADMIN_URL } from "../support/db.ts";

const withStack = <E extends Error>(e: E, stack: string): E => Object.assign(e, { stack });
const NEXT_WRITE = withStack(
  new TypeError("Cannot read properties of null (reading 'write')"),
  "TypeError: Cannot read properties of null (reading 'write')\n    at Immediate.nextWrite (file:///app/node_modules/postgres/src/connection.js:255:22)\n    at process.processImmediate (node:internal/timers:483:21)",
);

describe("the driver-fault guard", () => {
  it("knows postgres.js's closed-socket write and an unheard socket reset, nothing else", () => {
    expect(isKnownDriverFault(NEXT_WRITE)).toBe(true);
    const reset = withStack(
      Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET", syscall: "read" }),
      "Error: read ECONNRESET\n    at TCP.onStreamRead (node:internal/stream_base_commons:218:20)",
    );
    expect(isKnownDriverFault(reset)).toBe(true);
    expect(isKnownDriverFault(new TypeError("ours"))).toBe(false);
    expect(isKnownDriverFault(Object.assign(new Error("x"), { code: "ECONNRESET" }))).toBe(false);
  });

  const child = (thrown: string) =>
    spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `import pino from "pino";
         import { installDriverFaultGuard } from "./src/db/driver-guard.ts";
         installDriverFaultGuard(pino({ level: "silent" }), () => console.log("pool replaced"));
         setImmediate(() => { throw ${thrown}; });
         setTimeout(() => console.log("still up"), 100);`,
      ],
      { encoding: "utf8", timeout: 20_000 },
    );

  it("keeps the process up on a driver fault, and replaces the pool", () => {
    const stack = JSON.stringify(NEXT_WRITE.stack);
    const r = child(`Object.assign(new TypeError("null write"), { stack: ${stack} })`);
    expect(r.stdout).toBe("pool replaced\nstill up\n");
    expect(r.status).toBe(0);
  });

  it("keeps the process up when postgres.js's own query of types fails unheard (porsager/postgres #1192)", () => {
    // A statement timeout of 1 ms cancels that query on a new connection, every time.
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        "--input-type=module",
        "-e",
        `import pino from "pino";
         import postgres from "postgres";
         import { installDriverFaultGuard } from "./src/db/driver-guard.ts";
         installDriverFaultGuard(pino({ level: "silent" }), () => console.log("pool replaced"));
         const sql = postgres(${JSON.stringify(PG_ADMIN_URL)},
           { max: 1, connection: { statement_timeout: 1 }, onnotice() {} });
         await sql\`select 1\`.catch((e) => console.log("select: " + e.code));
         setTimeout(() => { console.log("still up"); void sql.end({ timeout: 0 }); }, 300);`,
      ],
      { encoding: "utf8", timeout: 20_000 },
    );
    expect(r.stdout).toBe("select: 57014\nstill up\n");
    expect(r.status).toBe(0);
  });

  it("lets any other uncaught error end the process, as Node would", () => {
    const r = child(`new TypeError("a bug of ours")`);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("a bug of ours");
    expect(r.status).toBe(1);
  });
});
