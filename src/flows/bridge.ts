// The flows: the one place where an SMS event becomes chat work and a chat event becomes SMS
// work. Each flow runs in one transaction: it records the fact (an SMS, a status, a reply) and
// enqueues the jobs that tell the other side. It implements the hooks chat adapters call.
// Provider callbacks reach it through the inbox (src/ingest/inbox.ts): stored first, acted on here.
import type { Logger } from "pino";
import {
  type ActionInput,
  type ChatDialect,
  type ChatForm,
  type ChatHooks,
  type ChatPlace,
  type ChatReply,
  type FormAnswer,
  type FormInput,
  fill,
  type Language,
  type MessageRef,
  type Platform,
  type Priority,
  type SmsCommandInput,
  type SmsProvider,
  speak,
  type Voice,
  voiceOf,
  wordsOf,
} from "../contracts/index.ts";
import { costLine, costsMore, encodingWords } from "../contracts/status.ts";
import { blockButton } from "../conversations/cards.ts";
import * as consent from "../conversations/consent.ts";
import type { ChatDirectory, FeatureConfig, Features } from "../conversations/features.ts";
import { newClientRef, type StoredEvent } from "../conversations/keys.ts";
import { chatJob, smsJob } from "../conversations/kinds.ts";
import {
  type Act,
  type Actor,
  actOfButton,
  refusalOf,
  type SendPolicy,
} from "../conversations/permissions.ts";
import { type ReplyMode, smsOfReply } from "../conversations/reply-mode.ts";
import { signText } from "../conversations/signature.ts";
import * as store from "../conversations/store.ts";
import type { Db } from "../db/database.ts";
import { looksLikeOptOutRequest, optIntent } from "../kernel/optout.ts";
import { formatPhone, maskPhone } from "../kernel/phone.ts";
import { enqueue, type NewJob } from "../queue/jobs.ts";
import { AUTO_REPLY_AUTHOR, type AutoReplyConfig, claimAutoReply } from "../replies/hours.ts";
import {
  asksMarketing,
  heldWords,
  type MarketingRules,
  marketingNowWords,
  marketingReplyRefusal,
  nextAllowed,
} from "../replies/marketing.ts";
import { expandTemplate } from "../replies/templates.ts";
import { answered, markWaiting } from "../team/assign.ts";
import { retryJobs, runAction, waitingPosts } from "./actions.ts";
import { commandUsages, findCommand } from "./chat-commands.ts";
import { parseSmsCommand, sendingAnswer } from "./command.ts";
import { openForm, submitForm } from "./forms.ts";
import { onCall, onClick, onDeliveryStatus } from "./provider-events.ts";

export interface OutgoingSms {
  phone: string;
  text: string;
  author: string;
  /**
   * The platform's id of the author (Slack U…, Discord snowflake; the CLI's --author): the
   * reports' agent and the export's author_id.
   */
  authorId?: string;
  /**
   * A marketing SMS (src/replies/marketing.ts): the provider adds its STOP notice, and it is held
   * until the next time marketing SMS may leave.
   */
  marketing?: boolean;
  link?: string;
  sendAt?: Date;
  priority?: Priority;
  /** The platform whose thread shows it; routed when absent. */
  platform?: Platform;
  sourceEventId?: string;
  /**
   * The chat message that caused it (a thread reply); absent means the bridge posts it (and so
   * it does when the SMS is not the message's text: a signature was added).
   */
  chatRef?: MessageRef;
  /** A person's SMS: SMS_SIGNATURE goes under it (never under the bridge's own). */
  signed?: boolean;
}

export interface BridgeOptions {
  db: Db;
  log: Logger;
  defaults: store.Defaults;
  /** Dates typed in `/sms --at`, the link placeholder. */
  provider: Pick<
    SmsProvider,
    | "parseLocalDate"
    | "linkPlaceholder"
    | "scheduleLeadMs"
    | "countSegments"
    | "defaultSender"
    | "senderProblem"
  >;
  /** When marketing SMS may leave (MARKETING_HOURS, MARKETING_HOLIDAYS, the provider's zone). */
  marketing: MarketingRules;
  /** The clock (tests set it): when a marketing SMS is held until, whether `--at` is past. */
  now?: () => Date;
  /** Said with every `/sms` answer while nothing leaves (the provider's test mode). */
  notice?: string;
  /** A link to a conversation's thread, from its platform's adapter, when it can give one. */
  threadUrl?: (platform: Platform, thread: string) => Promise<string | undefined>;
  /** The answer outside business hours (src/replies/hours.ts); absent when off. */
  autoReply?: AutoReplyConfig;
  /** PHONE_DEFAULT_COUNTRY: `/sms 0612345678 …` reads the number in this country. */
  defaultCountry?: string;
  /** SMS_SIGNATURE (src/conversations/signature.ts): the line under people's SMS. */
  signature?: string;
  /** REPLY_MODE: whether every thread reply is sent, or only those starting with `sms:`. */
  replyMode: ReplyMode;
  /** What the features add: `/sms` subcommands, buttons, forms (combineFeatures). */
  features: Pick<Features, "commands" | "actions" | "forms">;
  /** The chat platforms that are on, for the features' commands (channels, thread links). */
  chat: ChatDirectory;
  /** The zone of the times people read in answers and notes (the provider's); UTC when absent. */
  timeZone?: string;
  /** SMS_FROM_ANY_CHANNEL, SMS_GUESTS_MAY_SEND: who sends, beyond the permissions table's default. */
  sending: SendPolicy;
  /** The configuration the features' commands read. */
  config: FeatureConfig;
}

/** What queueSms did: the SMS and its conversation (`held`: a marketing SMS held until then). */
export type Queued =
  | { message: store.Message; conversation: store.Conversation; held?: Date }
  | { refused: string }
  | { duplicate: true };

export class Bridge implements ChatHooks {
  constructor(private readonly o: BridgeOptions) {}

  private get timeZone(): string {
    return this.o.timeZone ?? "UTC";
  }

  /** BRIDGE_LANGUAGE's words, and the zone times are said in. */
  private get voice(): Voice {
    return voiceOf(this.o.config.language, this.timeZone);
  }

  /** How a platform says the core's markup (its adapter's dialect), if its own. */
  private dialect(platform: Platform): ChatDialect | undefined {
    return this.o.chat.dialect?.(platform);
  }

  private now(): Date {
    return this.o.now?.() ?? new Date();
  }

  /** What the sender of a marketing SMS is told: held until when, or that it leaves now. */
  marketingNotice(held: Date | undefined, language: Language = "en"): string {
    return held
      ? heldWords(this.o.marketing, held, language)
      : marketingNowWords(wordsOf(language));
  }

  /** Dead jobs back in the queue (by id, or all); a dead SMS goes back to queued, same reference. */
  retryJobs(which: number[] | "all"): Promise<number[]> {
    return this.o.db.transaction((tx) => retryJobs(tx, which));
  }

  /**
   * Acts on stored provider callbacks, in the caller's transaction (src/ingest/inbox.ts calls it with
   * the events of an `events.process` batch, in the order they were stored). Inbound SMS go in
   * runs, a few statements per run whatever its size; a call, a status or a click of a number
   * is acted on after the SMS of that number that came before it and before those after it.
   */
  async applyEvents(tx: Db, list: StoredEvent[]): Promise<void> {
    type Inbound = Extract<StoredEvent, { kind: "inbound-sms" }>;
    let run: Inbound[] = [];
    let after: Exclude<StoredEvent, Inbound>[] = [];
    const waiting = new Set<string>(); // numbers with an event in `after`
    const flush = async () => {
      await this.onInboundSms(tx, run);
      for (const e of after) {
        const voice = this.voice;
        if (e.kind === "call") await onCall(tx, this.o.defaults, e.phone, e.at, voice);
        else if (e.kind === "status") await onDeliveryStatus(tx, this.o.log, e.ref, e.status, e.at);
        else await onClick(tx, this.o.defaults, e.ref, e.phone, e.link, e.at, voice);
      }
      run = [];
      after = [];
      waiting.clear();
    };
    for (const e of list) {
      if (e.kind !== "inbound-sms") {
        after.push(e);
        waiting.add(e.phone);
        continue;
      }
      // This number's earlier call, status or click must be acted on first.
      if (waiting.has(e.from)) await flush();
      run.push(e);
    }
    await flush();
  }

  /** Inbound SMS: a few statements for the whole batch, whatever its size. */
  private async onInboundSms(tx: Db, list: Extract<StoredEvent, { kind: "inbound-sms" }>[]) {
    if (list.length === 0) return;
    const convs = await store.ensureConversations(
      tx,
      list.map((e) => e.from),
      this.o.defaults,
    );
    const conv = (e: { from: string }) => convs.get(e.from) as store.Conversation;
    const stored = await store.insertInbound(
      tx,
      list.map((e) => ({
        conversationId: conv(e).id,
        body: e.text,
        at: e.at,
        optIntent: optIntent(e.text),
      })),
    );
    const jobs: NewJob[] = [];
    // Customers now wait for an answer: the cards say since when (a new thread's card will).
    const since = new Map<number, Date>();
    for (const e of list) {
      const id = conv(e).id;
      const known = since.get(id);
      if (!known || e.at < known) since.set(id, e.at);
    }
    const waiting = await markWaiting(tx, since);
    for (const c of waiting) if (c.threadRef) jobs.push(...chatJob(c, { type: "card" }));
    const reopened = new Set<number>();
    const w = this.voice.words;
    for (const [i, e] of list.entries()) {
      const c = conv(e);
      jobs.push(...chatJob(c, { type: "message", messageId: stored[i] ?? 0 }));
      const intent = optIntent(e.text);
      if (
        intent === null &&
        looksLikeOptOutRequest(e.text) &&
        !(await consent.isBlocked(tx, e.from))
      ) {
        jobs.push(
          ...chatJob(c, {
            type: "note",
            text: fill(w.notes.looksLikeStop, { phone: formatPhone(e.from) }),
            actions: [blockButton(c, w)],
          }),
        );
      }
      if (intent === "out") {
        await consent.setOptOut(tx, e.from, "sms");
        jobs.push(
          ...chatJob(c, {
            type: "note",
            text: fill(w.notes.optedOut, { phone: formatPhone(e.from) }),
          }),
          ...chatJob(c, { type: "card" }),
          ...(await waitingPosts(tx, e.from)),
        );
      } else if (intent === "in" && (await consent.clearOptOut(tx, e.from))) {
        jobs.push(
          ...chatJob(c, {
            type: "note",
            text: fill(w.notes.optedIn, { phone: formatPhone(e.from) }),
          }),
          ...chatJob(c, { type: "card" }),
          ...(await waitingPosts(tx, e.from)),
        );
      }
      if (!c.open && !reopened.has(c.id)) {
        reopened.add(c.id);
        await store.setConversationOpen(tx, c.id, true);
        jobs.push(...chatJob(c, { type: "card" }));
      }
    }
    await enqueue(tx, ...jobs);
    // Business hours (issue 13, src/replies/hours.ts): outside them, the auto-reply once per period.
    const auto = this.o.autoReply;
    for (const e of auto ? list : []) {
      const c = conv(e);
      const at = { conversationId: c.id, phone: e.from, text: e.text, at: e.at };
      if (auto && (await claimAutoReply(tx, auto, at)))
        await this.queueSms(tx, { phone: e.from, text: auto.text, author: AUTO_REPLY_AUTHOR });
    }
  }

  /** Records an SMS to send and its jobs; refuses (returns why) when the number opted out. */
  async queueSms(tx: Db, sms: OutgoingSms): Promise<Queued> {
    const conv = await store.ensureConversation(tx, sms.phone, this.o.defaults, sms.platform);
    const w = this.voice.words;
    const refusal = await consent.refusalOf(tx, sms.phone, w);
    // The text as it leaves, signature included: what is counted, stored and shown.
    const text = sms.signed
      ? await signText(tx, this.o.signature, sms.text, { phone: sms.phone, author: sms.author })
      : sms.text;
    const chatRef = text === sms.text ? sms.chatRef : undefined;
    const cost = this.o.provider.countSegments(text);
    // A marketing SMS leaves only when marketing SMS may: held until then, like a scheduled SMS.
    let sendAt = sms.sendAt;
    let held: Date | undefined;
    if (sms.marketing) {
      const at = sendAt ?? this.now();
      const allowed = nextAllowed(this.o.marketing, at);
      if (allowed.getTime() > at.getTime()) sendAt = held = allowed;
    }
    // The sender name: the number's route's, else the provider's default (shown, then sent).
    const sender =
      (await store.routeSender(tx, sms.phone, conv.platform)) ?? this.o.provider.defaultSender;
    const msg = await store.insertMessage(tx, {
      conversationId: conv.id,
      direction: "out",
      body: text,
      clientRef: newClientRef(),
      status: refusal ? "failed" : "queued",
      segments: cost.segments,
      encoding: encodingWords(cost, this.voice.words),
      error: refusal ? `not sent: ${refusal}` : null,
      author: sms.author,
      authorId: sms.authorId,
      link: sms.link,
      sendAt,
      sender: sender ?? null,
      marketing: sms.marketing ?? false,
      priority: sms.priority ?? "normal",
      chatRef,
      sourceEventId: sms.sourceEventId,
    });
    if (!msg) return { duplicate: true };
    const jobs: NewJob[] = [];
    if (!chatRef) jobs.push(...chatJob(conv, { type: "message", messageId: msg.id }));
    if (refusal) {
      const refused = fill(w.notes.notSentTo, { phone: formatPhone(sms.phone), why: refusal });
      jobs.push(...chatJob(conv, { type: "note", text: refused, failure: true }));
      await enqueue(tx, ...jobs);
      return { refused };
    }
    // A scheduled SMS waits in our queue, so STOP, Block and Cancel hold until it leaves; it is
    // handed over shortly before its time, with the time, so the second is the provider's.
    const runAt = sendAt
      ? new Date(sendAt.getTime() - (this.o.provider.scheduleLeadMs ?? 60_000))
      : undefined;
    jobs.push(smsJob(sms.phone, msg.id, runAt));
    // The auto-reply is no answer: the customer still waits for a person.
    if (sms.author !== AUTO_REPLY_AUTHOR && (await answered(tx, conv.id)))
      jobs.push(...chatJob(conv, { type: "card" }));
    if (chatRef) jobs.push(...chatJob(conv, { type: "status", messageId: msg.id }));
    await enqueue(tx, ...jobs);
    return { message: msg, conversation: conv, ...(held ? { held } : {}) };
  }

  /** A person's message in a conversation thread. */
  async onReply(reply: ChatReply): Promise<void> {
    // A note (and, in REPLY_MODE=explicit, anything not starting with `sms:`) sends nothing.
    const text = smsOfReply(reply.text, this.o.replyMode);
    if (text === null) return;
    // A thread's ref is saved once its card's post has returned: a reply typed in that moment
    // arrives before it. Any other thread of the channel is not ours: it costs three lookups.
    for (const wait of [0, 250, 1000]) {
      if (wait) await new Promise((r) => setTimeout(r, wait));
      if (await store.findConversationByThread(this.o.db, reply.platform, reply.thread)) break;
    }
    await this.o.db.transaction(async (tx) => {
      const conv = await store.findConversationByThread(tx, reply.platform, reply.thread);
      if (!conv) return;
      // A platform's retry of the same event (Slack event_id, Discord message id) does nothing.
      const key = `reply:${reply.platform}:${reply.eventId}`;
      if (!(await store.claimEvent(tx, key, "chat-reply", { thread: reply.thread }))) return;
      const jobs: NewJob[] = [];
      // A reply that would be an SMS, from someone who may not send: said to them alone.
      const refused =
        text !== "" &&
        this.refused("send", { canManage: false, guest: reply.guest, from: { own: true } }, reply, {
          phone: conv.phone,
        });
      if (refused) {
        const word = reply.authorId
          ? { type: "whisper" as const, userId: reply.authorId, text: refused }
          : { type: "note" as const, text: refused };
        await enqueue(tx, ...chatJob(conv, word));
        return;
      }
      if (reply.hasAttachments) {
        jobs.push(
          ...chatJob(conv, {
            type: "note",
            text: this.voice.words.notes.attachment,
          }),
        );
      }
      // Templates (issue 13): `::name` is sent as its text, which the bridge posts; or refused.
      const t = await expandTemplate(tx, text, {
        phone: conv.phone,
        author: reply.author,
        words: this.voice.words,
      });
      // A reply leaves at once: marketing, which waits for its hours, is refused here with why.
      const marketing = asksMarketing(text)
        ? marketingReplyRefusal(undefined, this.voice.words)
        : t.kind === "expanded" && t.marketing
          ? marketingReplyRefusal(t.name, this.voice.words)
          : undefined;
      if (marketing) {
        jobs.push(...chatJob(conv, { type: "note", text: marketing, failure: true }));
      } else if (t.kind === "refused") {
        jobs.push(...chatJob(conv, { type: "note", text: `🚫 ${t.reason}`, failure: true }));
      } else if (text !== "") {
        const sent = t.kind === "expanded" ? t.text : text;
        const queued = await this.queueSms(tx, {
          phone: conv.phone,
          text: sent,
          author: reply.author,
          authorId: reply.authorId,
          platform: reply.platform,
          sourceEventId: `${reply.platform}:${reply.eventId}`,
          chatRef: t.kind === "expanded" ? undefined : reply.message,
          signed: true,
        });
        // Its author alone hears what it costs (signature included) when more than a plain SMS.
        const cost = this.o.provider.countSegments(
          "message" in queued ? queued.message.body : sent,
        );
        if ("message" in queued && reply.authorId && costsMore(cost))
          jobs.push(
            ...chatJob(conv, {
              type: "whisper",
              userId: reply.authorId,
              text: fill(this.voice.words.notes.replyCost, {
                cost: costLine(cost.segments, encodingWords(cost, this.voice.words)),
              }),
            }),
          );
      }
      await enqueue(tx, ...jobs);
    });
  }

  /** An edited or deleted chat message: an SMS that already left cannot be recalled. */
  async onEdit(platform: Platform, ref: MessageRef, kind: "edited" | "deleted"): Promise<void> {
    await this.o.db.transaction(async (tx) => {
      const msg = await store.findMessageByChatRef(tx, ref);
      if (msg?.direction !== "out") return;
      const conv = await store.getConversation(tx, msg.conversationId);
      if (!conv || conv.platform !== platform) return;
      const left = msg.status !== "queued" && msg.status !== "failed";
      const n = this.voice.words.notes;
      const text = fill(left ? n.editedAfterSent : n.editedBeforeSent, { kind: n[kind] });
      await enqueue(tx, ...chatJob(conv, { type: "note", text }));
    });
  }

  /** `/sms …`: returns the ephemeral answer for the person who typed it, in its platform's words. */
  async onCommand(input: SmsCommandInput): Promise<string> {
    return speak(await this.answer(input), this.dialect(input.platform));
  }

  private async answer(input: SmsCommandInput): Promise<string> {
    const { commands } = this.o.features;
    const sub = findCommand(commands, input.args);
    if (sub) {
      const act = sub.command.act?.(sub.rest) ?? "read";
      const refused = this.refused(act, input, input, { channel: input.place.channel });
      if (refused) return refused;
      return sub.command.run(input, sub.rest, {
        db: this.o.db,
        log: this.o.log,
        chat: this.o.chat,
        config: this.o.config,
        senderProblem: this.o.provider.senderProblem?.bind(this.o.provider),
      });
    }
    const { provider, defaultCountry } = this.o;
    const context = {
      parseLocalDate: (v: string) => provider.parseLocalDate(v),
      linkPlaceholder: provider.linkPlaceholder,
      defaultCountry,
      words: this.voice.words,
    };
    const cmd = parseSmsCommand(
      input.args,
      context,
      commandUsages(commands, this.voice.words),
      this.now(),
    );
    if (!cmd.ok) return cmd.message;
    const from = { own: await this.isOwnPlace(input.platform, input.place), ...input.place };
    const refused = this.refused("send", { ...input, from }, input, {
      phone: cmd.phone,
      channel: input.place.channel,
    });
    if (refused) return refused;
    const result = await this.o.db.transaction(async (tx): Promise<Queued> => {
      const t = await expandTemplate(tx, cmd.text, {
        phone: cmd.phone,
        author: input.author,
        words: this.voice.words,
      });
      if (t.kind === "refused")
        return { refused: fill(this.voice.words.command.notSent, { why: t.reason }) };
      return this.queueSms(tx, {
        phone: cmd.phone,
        text: t.kind === "expanded" ? t.text : cmd.text,
        link: cmd.link,
        sendAt: cmd.sendAt,
        priority: cmd.priority,
        // `--marketing`, or a template saved as marketing.
        marketing: cmd.marketing || (t.kind === "expanded" && t.marketing),
        author: input.author,
        authorId: input.authorId,
        // No platform: the number's home thread, wherever it is (routes, else the default).
        sourceEventId: `${input.platform}:${input.eventId}`,
        signed: true,
      });
    });
    if ("refused" in result) return result.refused;
    if ("duplicate" in result) return this.voice.words.command.alreadySent;
    const home = result.conversation;
    const link = home.threadRef
      ? await this.o.threadUrl?.(home.platform, home.threadRef).catch(() => undefined)
      : undefined;
    const cost = this.o.provider.countSegments(result.message.body);
    const sendAt = result.message.sendAt ?? undefined;
    const answer = sendingAnswer({
      ...cmd,
      sendAt,
      home,
      link,
      cost,
      from: input.platform,
      notice: this.o.notice,
      voice: this.voice,
    });
    return result.message.marketing
      ? `${answer}\n${this.marketingNotice(result.held, this.voice.language)}`
      : answer;
  }

  /**
   * A button the core put on a card or a post; a replayed press does nothing twice. Returns the
   * refusal, for the person alone, when the permissions table says they may not.
   */
  async onAction(input: ActionInput): Promise<string | undefined> {
    return this.o.db.transaction(async (tx) => {
      const conv = await store.claimInput(tx, "action", input);
      if (!conv) return undefined;
      // Buttons live in the conversation's thread: one of the bridge's own places.
      const actor = {
        canManage: input.canManage ?? false,
        guest: input.guest,
        from: { own: true },
      };
      const refused = this.refused(actOfButton(input.action), actor, input, { phone: conv.phone });
      if (refused) return speak(refused, this.dialect(input.platform));
      await runAction(tx, conv, input, this.o.log, this.o.features.actions, this.voice.words);
      return undefined;
    });
  }

  /**
   * The permissions table's answer (src/conversations/permissions.ts): undefined when allowed,
   * else the words for the person, the refusal logged (who, what, why: no text, the number masked).
   */
  private refused(
    act: Act,
    actor: Actor,
    who: { platform: Platform; authorId?: string },
    about: { phone?: string; channel?: string },
  ): string | undefined {
    const refusal = refusalOf(
      act,
      actor,
      this.o.sending,
      this.ownChannels(who.platform),
      this.voice.words,
      this.dialect(who.platform)?.managers,
    );
    if (!refusal) return undefined;
    this.o.log.info(
      {
        platform: who.platform,
        act,
        reason: refusal.reason,
        user: who.authorId,
        ...(about.channel ? { channel: about.channel } : {}),
        ...(about.phone ? { phone: maskPhone(about.phone) } : {}),
      },
      "refused: not allowed by the permissions table",
    );
    return refusal.text;
  }

  /** The bridge's own channels on a platform, as its people read them (a refusal's words). */
  private ownChannels(platform: Platform): string {
    const home = this.o.defaults[platform];
    const { perm } = this.voice.words;
    const routed = perm.routedChannels;
    return home
      ? fill(perm.homeAndRouted, { home: this.o.chat.channelMention(platform, home), routed })
      : routed;
  }

  /**
   * Whether a command was typed in one of the bridge's own channels on its platform: the
   * default channel, or a channel a route names (a thread counts as its channel: the adapter
   * gives the thread's channel). A direct message never is.
   */
  private async isOwnPlace(platform: Platform, place: ChatPlace): Promise<boolean> {
    if (this.o.sending.fromAnyChannel) return true;
    if (place.direct || !place.channel) return false;
    if (place.channel === this.o.defaults[platform]) return true;
    return store.isRouteChannel(this.o.db, platform, place.channel);
  }

  /** A button that opens a form (Edit contact): the form, filled with the current values. */
  formFor(input: ActionInput): Promise<ChatForm | null> {
    return openForm(this.o.db, this.o.features.forms, input, this.voice.words);
  }

  /** The form submitted: checked, then saved with its jobs; a replayed submission does nothing. */
  onFormSubmit(input: FormInput): Promise<FormAnswer> {
    return submitForm(this.o.db, this.o.features.forms, input, this.o.log, this.voice.words);
  }
}
