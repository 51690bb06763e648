// Who may do what: every action a person takes from chat, who may take it, and the words of a
// refusal (docs/permissions.md is this table in words). The adapters say who a person is (a
// manager, a guest) and where they typed (a channel, a direct message); this file alone decides,
// the same for every platform. The Bridge asks it before a `/sms`, a thread reply, a subcommand
// and a button, says a refusal to that person alone and logs it.
import { type Catalogue, fill, wordsOf } from "../contracts/index.ts";

/** What a person may try to do. */
export type Act =
  /** `/sms <number> …`, a thread reply that is an SMS (`::template` included), Retry. */
  | "send"
  /** `/sms help`, `template list`, `route list`: the bridge's settings, no customer's words. */
  | "read"
  /**
   * `/sms history`, `/sms queue`: other conversations' SMS (texts, numbers), whatever channel
   * they are in; a guest who sees a few channels must not read them all.
   */
  | "lookup"
  /** Close, Reopen, Claim, Release, Assign, Cancel, Edit contact: the thread's own work. */
  | "conversation"
  /** Block: it only stops sending. */
  | "block"
  /** Unblock: it lets SMS go to a number the team stopped. */
  | "unblock"
  /** `template add`, `template remove`. */
  | "templates"
  /** `route add`, `route remove`. */
  | "routes"
  /** Erasing a customer: the command line only today (`ardary-bridge forget`). */
  | "forget"
  /** Reserved: the report settings are not built yet. */
  | "report-settings";

/**
 * `anyone`: every member who can see the thread or type `/sms`, guests included;
 * `members`: not a guest (unless SMS_GUESTS_MAY_SEND), from anywhere (the answer is private);
 * `senders`: not a guest (unless SMS_GUESTS_MAY_SEND), and from the bridge's own channels
 * (unless SMS_FROM_ANY_CHANNEL); `managers`: the platform's manager group or role, else admins.
 */
export type Who = "anyone" | "members" | "senders" | "managers";

/** The table. */
export const WHO_MAY: Readonly<Record<Act, Who>> = {
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
};

/** The core's buttons that are not the thread's own work (every other button: `conversation`). */
const BUTTON_ACTS: Readonly<Record<string, Act>> = {
  block: "block",
  unblock: "unblock",
  // Retry makes an SMS leave again.
  retry: "send",
};

/** What pressing a button (its action) is. */
export function actOfButton(action: string): Act {
  return BUTTON_ACTS[action] ?? "conversation";
}

/** The settings that widen who sends (both off by default). */
export interface SendPolicy {
  /** SMS_FROM_ANY_CHANNEL: `/sms <number>` works from any channel and direct messages. */
  fromAnyChannel: boolean;
  /** SMS_GUESTS_MAY_SEND: a workspace's guests may send. */
  guestsMaySend: boolean;
}

/** The person, as their platform's adapter tells it, and where a send comes from. */
export interface Actor {
  canManage: boolean;
  guest?: boolean;
  /**
   * For a send: whether it comes from the bridge's own channels (a conversation's thread always
   * does), and whether from a direct message.
   */
  from?: { own: boolean; direct?: boolean };
}

/** A refusal: why (for the log) and what the person is told. */
export interface Refusal {
  reason: "guest" | "channel" | "manager";
  text: string;
}

/** What a manager-only act is, in words, after "Only people allowed to manage the bridge can". */
const MANAGING: Readonly<Partial<Record<Act, keyof Catalogue["perm"]>>> = {
  unblock: "unblock",
  templates: "templates",
  routes: "routes",
  forget: "forget",
  "report-settings": "reportSettings",
};

/**
 * Whether `actor` may do `act`: undefined when allowed, else the refusal. `ownChannels` names the
 * bridge's channels on the person's platform, for the words of a channel refusal.
 */
export function refusalOf(
  act: Act,
  actor: Actor,
  policy: SendPolicy,
  ownChannels?: string,
  w: Catalogue = wordsOf(),
  /** Who may manage on the person's platform, in words (its ChatDialect); absent: said generally. */
  managers?: string,
): Refusal | undefined {
  const who = WHO_MAY[act];
  if (who === "anyone") return undefined;
  if (who === "managers") {
    if (actor.canManage) return undefined;
    return {
      reason: "manager",
      text: fill(w.perm.managers, {
        what: w.perm[MANAGING[act] ?? "doThat"],
        who: managers || w.perm.anyManager,
      }),
    };
  }
  if (actor.guest && !policy.guestsMaySend)
    return {
      reason: "guest",
      text: who === "members" ? w.perm.guestLookup : w.perm.guest,
    };
  if (who === "members") return undefined;
  if (actor.from && !actor.from.own && !policy.fromAnyChannel) {
    const here = actor.from.direct ? w.perm.directMessage : w.perm.thisChannel;
    return {
      reason: "channel",
      text: fill(w.perm.channel, { channels: ownChannels ?? w.perm.bridgeChannels, here }),
    };
  }
  return undefined;
}
