// The permissions table (src/conversations/permissions.ts) as docs/permissions.md states it: each
// act refused and allowed, the two settings that widen sending, the buttons' acts, and the rows
// chat cannot reach yet (forget: the command line's; report settings: reserved).
import { describe, expect, it } from "vitest";
import {
  type Act,
  type Actor,
  actOfButton,
  refusalOf,
  WHO_MAY,
} from "../../../src/conversations/permissions.ts";

const CLOSED = { fromAnyChannel: false, guestsMaySend: false };
const member: Actor = { canManage: false, from: { own: true } };
const manager: Actor = { canManage: true, from: { own: true } };
const guest: Actor = { canManage: false, guest: true, from: { own: true } };

describe("who may do what", () => {
  it("the table, row by row", () => {
    expect(WHO_MAY).toEqual({
      send: "senders",
      read: "anyone",
      lookup: "members",
      conversation: "anyone",
      block: "anyone",
      unblock: "managers",
      templates: "managers",
      routes: "managers",
      forget: "managers",
      "report-settings": "managers",
    });
  });

  it("managers' acts: refused to members and guests, allowed to managers", () => {
    const acts: Act[] = ["unblock", "templates", "routes", "forget", "report-settings"];
    for (const act of acts) {
      expect(refusalOf(act, member, CLOSED)?.reason).toBe("manager");
      expect(refusalOf(act, guest, CLOSED)?.reason).toBe("manager");
      expect(refusalOf(act, manager, CLOSED)).toBeUndefined();
    }
    expect(refusalOf("templates", member, CLOSED)?.text).toContain("add or remove templates");
    expect(refusalOf("report-settings", member, CLOSED)?.text).toContain("report settings");
  });

  it("anyone's acts: allowed to guests, and from anywhere", () => {
    const stranger: Actor = { canManage: false, guest: true, from: { own: false, direct: true } };
    for (const act of ["read", "conversation", "block"] as Act[])
      expect(refusalOf(act, stranger, CLOSED)).toBeUndefined();
  });

  it("sending: members in the bridge's channels; not guests, not elsewhere, unless the settings say", () => {
    expect(refusalOf("send", member, CLOSED)).toBeUndefined();
    expect(refusalOf("send", guest, CLOSED)?.reason).toBe("guest");
    expect(refusalOf("send", guest, { ...CLOSED, guestsMaySend: true })).toBeUndefined();
    const dm: Actor = { canManage: true, from: { own: false, direct: true } };
    const elsewhere: Actor = { canManage: false, from: { own: false } };
    expect(refusalOf("send", dm, CLOSED, "<#C1>")?.text).toMatch(
      /\(<#C1>, and the threads in them\), not from a direct message.*SMS_FROM_ANY_CHANNEL=true/,
    );
    expect(refusalOf("send", elsewhere, CLOSED)?.text).toContain("not from this channel");
    expect(refusalOf("send", elsewhere, { ...CLOSED, fromAnyChannel: true })).toBeUndefined();
    // A guest elsewhere is told the first reason: they would not send from anywhere.
    expect(refusalOf("send", { ...guest, from: { own: false } }, CLOSED)?.reason).toBe("guest");
  });

  it("looking up every conversation (history, queue): members from anywhere, not guests unless allowed", () => {
    const dm: Actor = { canManage: false, from: { own: false, direct: true } };
    expect(refusalOf("lookup", member, CLOSED)).toBeUndefined();
    expect(refusalOf("lookup", dm, CLOSED)).toBeUndefined();
    const refused = refusalOf("lookup", { ...guest, from: { own: false } }, CLOSED);
    expect(refused?.reason).toBe("guest");
    expect(refused?.text).toContain("do not look up the team's conversations");
    expect(refused?.text).not.toContain("Not sent");
    expect(refusalOf("lookup", guest, { ...CLOSED, guestsMaySend: true })).toBeUndefined();
  });

  it("buttons: Block anyone's, Unblock managers', Retry a send, the rest the thread's own work", () => {
    expect(actOfButton("block")).toBe("block");
    expect(actOfButton("unblock")).toBe("unblock");
    expect(actOfButton("retry")).toBe("send");
    for (const action of ["close", "reopen", "claim", "release", "assign", "cancel"])
      expect(actOfButton(action)).toBe("conversation");
  });
});
