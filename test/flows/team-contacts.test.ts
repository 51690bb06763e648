// Contacts: a CSV of 1,000 contacts imports, reaches the provider as addContact batches with a
// result per contact; the one it refuses (#002) says so on its card, in words; the card shows
// the name; a number that opted out is never added.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CONTACT_BATCH } from "../../src/team/contacts.ts";
import { runTeamCli } from "../../src/team/team.ts";
import { until } from "../support/harness.ts";
import { type SlackWorld, startSlackWorld, untilInOrder } from "../support/slack-setup.ts";

let w: SlackWorld | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const phoneOf = (i: number) => `+1555040${String(i).padStart(4, "0")}`;

describe("contacts", () => {
  it("imports 1,000 contacts from a CSV into addContact batches; a refusal shows on its card; STOP is never added", async () => {
    w = await startSlackWorld();
    const world = w;
    const refused = phoneOf(0);
    const stopped = phoneOf(999);
    await world.h.sim.inbound(refused, "hello");
    const t = await world.thread(refused);
    await untilInOrder(world, t, ["hello"]);
    await world.h.sim.inbound(stopped, "STOP");
    await until(async () => {
      const out = await world.h.bridge.database.db.execute("select 1 from opt_outs");
      return (Array.isArray(out) ? out : (out as { rows: unknown[] }).rows).length === 1;
    });

    // National numbers are read in PHONE_DEFAULT_COUNTRY; here every number is international.
    const lines = ["phone,name,company,tier"];
    for (let i = 0; i < 1000; i++) {
      const name = i === 0 ? "Zoe Martin" : `Customer ${i}`;
      lines.push(`${phoneOf(i)},"${name}",Acme,${i % 2 ? "gold" : "silver"}`);
    }
    const file = join(mkdtempSync(join(tmpdir(), "contacts-")), "contacts.csv");
    writeFileSync(file, `${lines.join("\n")}\n`);

    // The provider refuses the first contact of the first batch (#002): its answer, per contact.
    const first = Array.from({ length: CONTACT_BATCH }, (_, i) => phoneOf(i));
    world.h.sim.fault({
      count: 1,
      answer: {
        data: {
          contact: first.map((p) =>
            p === refused
              ? { phonenumber: p, result: "failed", errors: ["#002"] }
              : { phonenumber: p, result: "success" },
          ),
        },
      },
    });
    const out = await runTeamCli(world.h.bridge.database.db, "contacts", ["import", file]);
    expect(out).toEqual({
      lines: ["imported 1000 contact(s); they are being added to the provider"],
      code: 0,
    });

    const batches = () => world.h.sim.requests.filter((r) => r.endpoint === "addContact");
    await until(() => batches().length === 10, 30_000, "10 addContact batches");
    const sent = batches().flatMap(
      (r) => (r.body as { contacts: { phonenumber: string }[] }).contacts,
    );
    expect(sent).toHaveLength(999);
    expect(sent.map((c) => c.phonenumber)).not.toContain(stopped);
    expect(new Set(sent.map((c) => c.phonenumber)).size).toBe(999);
    // The first batch was answered by the fault above; the simulator kept the other nine.
    await until(() => world.h.sim.contacts.length === 999 - CONTACT_BATCH, 30_000, "the contacts");

    const card = () => JSON.stringify(world.fake.thread(t.channel, t.ts)[0]?.blocks);
    await until(
      () => card().includes("#002 empty phone number"),
      15_000,
      "the refusal on the card",
    );
    expect(card()).toContain("Zoe Martin");

    // Every contact's result is kept: none is left pending.
    const list = await until(async () => {
      const l = await runTeamCli(world.h.bridge.database.db, "contacts", ["list"]);
      return l.lines.some((x) => x.endsWith(" pending")) ? undefined : l;
    });
    expect(list.lines.find((l) => l.startsWith(refused))).toContain(
      "failed: #002 empty phone number",
    );
    expect(list.lines.find((l) => l.startsWith(stopped))).toContain("skipped");
    expect(list.lines.filter((l) => / ok$/.test(l))).toHaveLength(998);
    const csv = await runTeamCli(world.h.bridge.database.db, "contacts", ["export"]);
    expect(csv.lines[0]).toBe("phone,name,company,notes,email,address,tier,sync");
    expect(csv.lines).toContain(`${phoneOf(1)},Customer 1,Acme,,,,gold,ok`);
  });
});
