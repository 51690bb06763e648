// A local Ardary (docs/ardary-api.md) for development and for the tests: the API, callbacks to the
// bridge with the provider's timing, short links that report clicks, fault injection, and a
// record of everything it saw and did. Start one with `startSimulator`.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { DEFAULT_TIMEZONE, formatArdaryDate } from "../dates.ts";
import { CallbackSender } from "./callbacks.ts";
import { createSimulatorApp, type SimulatorCore } from "./http.ts";
import {
  type SimCallback,
  type SimContact,
  type SimFault,
  type SimRequest,
  type SimSms,
  SimulatorState,
} from "./state.ts";

export type {
  CallbackKind,
  SimCallback,
  SimContact,
  SimFault,
  SimRequest,
  SimSms,
} from "./state.ts";

export interface SimulatorOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  accessKey: string;
  login: string;
  /** The bridge's callback URL (secret included); can be set later with setCallbackUrl. */
  callbackUrl?: string;
  /** Delay from acceptance (or `date_to_send`) to the `sent` status callback, in ms. Default 50. */
  sentDelayMs?: number;
  /** Delay from acceptance (or `date_to_send`) to the `received` status callback, in ms. Default 150. */
  receivedDelayMs?: number;
  /** Case-insensitive words that make a message fail with #004. */
  forbiddenWords?: string[];
  /** Numbers (any format, stored as E.164) that have opted out: #003. */
  optedOut?: string[];
  /** Answer in the older forms: `count_sms/send_time/phone/sms/user`, and `{data:{data,envoi}}`. */
  legacyAnswers?: boolean;
  /** IANA zone of `date_to_send` and of the zone-less dates in callbacks. Default Europe/Paris. */
  timezone?: string;
  /** Attempts per callback, the first included. Default 4. */
  callbackAttempts?: number;
  /** Wait before the second callback attempt, in ms, doubled each time. Default 50. */
  callbackBackoffMs?: number;
}

export interface Simulator {
  /** Server base URL, e.g. `http://127.0.0.1:41234`. */
  readonly url: string;
  /** `${url}/api`: what the client's `apiUrl` should be. */
  readonly apiUrl: string;
  /** Every sendSms / addContact request, in arrival order (faulted ones included). */
  readonly requests: readonly SimRequest[];
  /** Every accepted SMS, test mode included (see `mode`). */
  readonly sent: readonly SimSms[];
  /** Every callback attempt, in the order they were answered. */
  readonly callbacks: readonly SimCallback[];
  /** Contacts accepted by addContact, one per phone number (the latest wins). */
  readonly contacts: readonly SimContact[];
  readonly callbackUrl: string | undefined;
  setCallbackUrl(url: string | undefined): void;
  /** Sends a `message` callback (incoming SMS); resolves with the bridge's final HTTP status. */
  inbound(from: string, text: string, date?: Date): Promise<number>;
  /** Sends a `call` callback (incoming call); resolves with the bridge's final HTTP status. */
  call(phone: string, date?: Date): Promise<number>;
  /** Later sends to this number fail with #003. */
  optOut(phone: string): void;
  /** Other credentials (the bridge's are then refused, #001), or the account (de)activated (#002). */
  setAccount(change: { accessKey?: string; login?: string; active?: boolean }): void;
  fault(fault: SimFault): void;
  clearFaults(): void;
  /** Resolves once no callback is scheduled or in flight (a `date_to_send` is waited for). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

export async function startSimulator(options: SimulatorOptions): Promise<Simulator> {
  const timezone = options.timezone ?? DEFAULT_TIMEZONE;
  const sentDelayMs = options.sentDelayMs ?? 50;
  const receivedDelayMs = options.receivedDelayMs ?? 150;
  const state = new SimulatorState({
    accessKey: options.accessKey,
    login: options.login,
    forbiddenWords: options.forbiddenWords ?? [],
    optedOut: options.optedOut ?? [],
    legacyAnswers: options.legacyAnswers ?? false,
    timezone,
  });
  const sender = new CallbackSender({
    attempts: options.callbackAttempts ?? 4,
    backoffMs: options.callbackBackoffMs ?? 50,
    record: (attempt) => state.callbacks.push(attempt),
  });
  sender.target = options.callbackUrl;

  /** Delivers an event the caller waits for; throws when the bridge could not be reached. */
  async function deliverNow(
    kind: "message" | "call",
    payload: Record<string, unknown>,
  ): Promise<number> {
    if (!sender.target)
      throw new Error("the simulator has no callback URL: call setCallbackUrl first");
    const task = sender.deliver(kind, payload);
    sender.track(task);
    const status = await task;
    if (status === null) throw new Error(`the bridge did not answer the ${kind} callback`);
    return status;
  }

  function statusChain(sms: SimSms): Promise<unknown> {
    const payload = (status: "sent" | "received") => ({
      user: options.login,
      phonenumber: sms.phonenumber,
      status,
      date_status: new Date().toISOString(),
      id_sms_api: sms.id_sms_api,
    });
    const start = Math.max(0, (sms.sendAt?.getTime() ?? 0) - Date.now());
    return sender
      .wait(start + sentDelayMs)
      .then(() => sender.deliver("status", payload("sent")))
      .then(() => sender.wait(Math.max(0, receivedDelayMs - sentDelayMs)))
      .then(() => sender.deliver("status", payload("received")));
  }

  const core: SimulatorCore = {
    state,
    callbackUrl: () => sender.target,
    setCallbackUrl: (url) => {
      sender.target = url;
    },
    accepted: (list) => {
      for (const sms of list) if (sms.mode === "prod") sender.track(statusChain(sms));
    },
    clicked: (sms) => {
      const payload = {
        title: "clicked link",
        phonenumber: sms.phonenumber,
        link: sms.url,
        date: formatArdaryDate(new Date(), timezone),
        id_sms_api: sms.id_sms_api,
      };
      sender.track(sender.deliver("click", payload));
    },
    inbound: (from, text, date = new Date()) =>
      deliverNow("message", {
        title: "incoming sms",
        from,
        body: text,
        date: formatArdaryDate(date, timezone),
      }),
    call: (phone, date = new Date()) =>
      deliverNow("call", {
        title: "incoming call",
        phonenumber: phone,
        call_date: formatArdaryDate(date, timezone),
      }),
    wait: (ms) => sender.wait(ms),
  };

  const server = createServer(createSimulatorApp(core));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  const url = `http://${host}:${address.port}`;
  state.baseUrl = url;

  return {
    url,
    apiUrl: `${url}/api`,
    requests: state.requests,
    sent: state.sent,
    callbacks: state.callbacks,
    contacts: state.contacts,
    get callbackUrl() {
      return sender.target;
    },
    setCallbackUrl: (target) => {
      sender.target = target;
    },
    inbound: (from, text, date) => core.inbound(from, text, date),
    call: (phone, date) => core.call(phone, date),
    optOut: (phone) => state.optOut(phone),
    setAccount: (change) => state.setAccount(change),
    fault: (fault) => state.addFault(fault),
    clearFaults: () => state.clearFaults(),
    idle: () => sender.idle(),
    close: async () => {
      await sender.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
