// STOP and START as people type them (CTIA's keywords, French ARRET), and sentences that ask
// to stop without the keyword.
import { describe, expect, it } from "vitest";
import { looksLikeOptOutRequest, optIntent } from "../../../src/kernel/optout.ts";

describe("opt-out keywords as people type them", () => {
  it.each([
    // CTIA's list and French, as before
    "STOP",
    "stop",
    "Stop.",
    "STOPALL",
    "unsubscribe",
    "Cancel",
    "END",
    "quit",
    "REVOKE",
    "optout",
    "OPT OUT",
    "opt-out",
    "ARRET",
    "ARRÊT",
    "arrêt",
    "Stop please",
    "stop. thank you",
    "please stop",
    // repeated
    "STOP STOP",
    "stop stop stop",
    "Stop, stop!",
    "stop please stop",
    // full-width and other compatibility forms (NFKC)
    "ＳＴＯＰ",
    "ｓｔｏｐ",
    "𝐒𝐓𝐎𝐏",
    "ＡＲＲＥＴ",
    // zero-width characters and soft hyphens inside the word
    "S\u200BTOP",
    "ST\u200COP",
    "STO\u200DP",
    "S\u2060TOP",
    "\uFEFFSTOP",
    "ST\u00ADOP",
    // spaces inside the word
    "S T O P",
    "s t o p please",
    "S.T.O.P",
    "ST OP",
    "U N S U B S C R I B E",
    // a doubled last letter
    "STOPP",
    "stoppp",
    "STOPALLL",
    "Arrett",
    "quitt",
    // the stop sign
    "🛑",
    "🛑\uFE0F",
    "🛑\uFE0E",
    " 🛑 🛑 ",
    "🛑 please",
    // mixed
    "  Stop  ",
    "STOP\n",
    "stop!!!",
    "opt\u200B out",
  ])("%j is an opt-out", (text) => expect(optIntent(text)).toBe("out"));

  it.each(["START", "unstop", "Yes", "ＳＴＡＲＴ", "Y E S", "yess", "START START", "S\u200BTART"])(
    "%j is an opt-in",
    (text) => expect(optIntent(text)).toBe("in"),
  );

  it.each([
    "stop the car please",
    "I can't stop laughing",
    "hello",
    "when does it end?",
    "",
    "🛑 at the corner of 5th",
    "stopover in Paris",
    "\u200B",
    "the end",
    "S",
    "yes I will come at 5 pm tomorrow",
    "stop by tomorrow?",
    "stops",
  ])("%j is neither", (text) => expect(optIntent(text)).toBeNull());
});

describe("a sentence that asks to stop", () => {
  it.each([
    "please stop texting me",
    "Please STOP texting me!",
    "stop sending me messages",
    "Stop messaging me",
    "don't text me anymore",
    "Don’t text me anymore",
    "do not contact me again",
    "I don't want these texts",
    "no more texts please",
    "remove me from your list",
    "Remove my number from your list",
    "take me off your list",
    "unsubscribe me please",
    "How do I unsubscribe?",
    "I want to opt out",
    "stop the sms",
    "leave me alone",
    "STOP",
    "arrêtez de m'envoyer des sms",
    "Arrêtez de m’envoyer des messages svp",
    "arrete de m ecrire",
    "ne m'envoyez plus de sms",
    "Ne me contactez plus",
    "je ne veux plus recevoir de messages",
    "plus de sms merci",
    "retirez-moi de votre liste",
    "supprimez mon numéro",
    "désinscription",
    "je veux me désabonner",
    "laissez-moi tranquille",
    "please s\u200Btop texting me",
  ])("%j looks like an opt-out request", (text) => expect(looksLikeOptOutRequest(text)).toBe(true));

  it.each([
    "hello",
    "stop the car please",
    "I can't stop laughing",
    "when does the sale end?",
    "don't send the package before Monday",
    "Can you text me the tracking number?",
    "please send me the invoice",
    "yes",
    "merci pour le message",
    "arrivé à l'arrêt de bus",
    "",
  ])("%j does not", (text) => expect(looksLikeOptOutRequest(text)).toBe(false));

  it("is not an opt-out keyword", () => {
    expect(optIntent("please stop texting me")).toBeNull();
    expect(optIntent("arrêtez de m'envoyer des sms")).toBeNull();
  });
});
