// The contract between the core and the adapters, in one import: the domain's words (domain.ts),
// an SMS provider's (sms.ts), a chat platform's (chat.ts), the descriptors and the services the
// core offers adapters (descriptors.ts), the setup page's lines (setup.ts), and the pure helpers
// an adapter may use.
export { formatPhone, maskPhone, toE164 } from "../kernel/phone.ts";
export { wallClock, zonedFormatter } from "../kernel/time.ts";
export type * from "./chat.ts";
export type * from "./descriptors.ts";
export * from "./domain.ts";
export {
  type Catalogue,
  type ChatDialect,
  fill,
  isLanguage,
  LANGUAGES,
  type Language,
  PLAIN_DIALECT,
  placeholders,
  saidAt,
  speak,
  type Voice,
  verbatim,
  voiceOf,
  wordsOf,
} from "./i18n/index.ts";
export type * from "./setup.ts";
export type * from "./sms.ts";
export { costLine, type Step, type StepReached, stepsReached } from "./status.ts";
