// Modals in the fake Slack, as Slack documents them.
// - views.open (https://docs.slack.dev/reference/methods/views.open): a trigger_id from an
//   interaction of the last 3 seconds, used once (else invalid_trigger_id, expired_trigger_id,
//   exchanged_trigger_id), and a `view` (a JSON string in a form body) of type "modal" with a
//   plain_text title of at most 24 characters, at most 100 blocks, a submit button (at most
//   24) when it holds an input block, a close button of at most 24, private_metadata of at most
//   3000 and callback_id of at most 255 characters (else invalid_arguments, with the JSON
//   pointer of the problem in response_metadata.messages).
// - input blocks (https://docs.slack.dev/reference/block-kit/blocks/input-block): a unique
//   block_id, a plain_text label of at most 2000, an element; a plain_text_input
//   (https://docs.slack.dev/reference/block-kit/block-elements/plain-text-input-element) has
//   an action_id, max_length up to 3000, an initial_value within it, a placeholder up to 150.
// - the view_submission payload
//   (https://docs.slack.dev/reference/interaction-payloads/view-interactions-payload): the
//   view with `state.values[block_id][action_id] = { type, value }` (null when empty); the
//   client refuses an empty required input. The app answers 200 with an empty body (the modal
//   closes) or `{response_action:"errors", errors:{<input block_id>: text}}` (it stays open).
import { type ApiAnswer, type Call, fail, ok, str } from "./slack-answer.ts";
import { APP_ID, BOT_ID, TEAM_ID } from "./slack-state.ts";

type Json = Record<string, unknown>;

/** How long a trigger_id can be exchanged (Slack: 3 seconds). */
export const TRIGGER_TTL_MS = 3000;

export interface FakeView {
  id: string;
  user: string;
  /** The view as views.open answered it (with id, hash, state). */
  view: Json;
  state: "open" | "closed";
  /** The errors the app answered the last submission with. */
  errors?: Record<string, string>;
}

export interface Trigger {
  user: string;
  at: number;
  used: boolean;
}

let sequence = 0;

const invalid = (pointer: string, message: string): ApiAnswer =>
  fail("invalid_arguments", {
    response_metadata: { messages: [`[ERROR] ${message} [json-pointer:/view${pointer}]`] },
  });

function plainText(v: unknown, pointer: string, max: number): ApiAnswer | undefined {
  const t = v as Json | undefined;
  if (t?.type !== "plain_text" || typeof t.text !== "string" || t.text.length === 0)
    return invalid(pointer, "must be a plain_text text object");
  if (t.text.length > max)
    return invalid(`${pointer}/text`, `must be less than ${max + 1} characters`);
  return undefined;
}

function inputProblem(block: Json, at: string): ApiAnswer | undefined {
  const label = plainText(block.label, `${at}/label`, 2000);
  if (label) return label;
  const el = block.element as Json | undefined;
  if (!el || typeof el.type !== "string")
    return invalid(`${at}/element`, "missing required field: element");
  if (el.type !== "plain_text_input") return undefined;
  if (typeof el.action_id === "string" && el.action_id.length > 255)
    return invalid(`${at}/element/action_id`, "must be less than 256 characters");
  const max = el.max_length === undefined ? 3000 : Number(el.max_length);
  if (!Number.isInteger(max) || max < 1 || max > 3000)
    return invalid(`${at}/element/max_length`, "must be between 1 and 3000");
  if (el.initial_value !== undefined && String(el.initial_value).length > max)
    return invalid(`${at}/element/initial_value`, `must be less than ${max + 1} characters`);
  if (el.placeholder !== undefined)
    return plainText(el.placeholder, `${at}/element/placeholder`, 150);
  return undefined;
}

function viewProblem(view: Json): ApiAnswer | undefined {
  if (view.type !== "modal") return invalid("/type", "must be modal (or home)");
  const title = plainText(view.title, "/title", 24);
  if (title) return title;
  const blocks = view.blocks;
  if (!Array.isArray(blocks) || blocks.length > 100)
    return invalid("/blocks", "must be an array of at most 100 blocks");
  const ids = new Set<string>();
  let inputs = 0;
  for (const [i, b] of (blocks as Json[]).entries()) {
    if (typeof b?.type !== "string")
      return invalid(`/blocks/${i}/type`, "missing required field: type");
    if (typeof b.block_id === "string") {
      if (ids.has(b.block_id)) return invalid(`/blocks/${i}/block_id`, "duplicate block_id");
      ids.add(b.block_id);
    }
    if (b.type === "input") {
      inputs++;
      const p = inputProblem(b, `/blocks/${i}`);
      if (p) return p;
    }
  }
  if (inputs > 0 && view.submit === undefined)
    return invalid("/submit", "must provide a submit property when using input blocks");
  for (const k of ["submit", "close"]) {
    if (view[k] === undefined) continue;
    const p = plainText(view[k], `/${k}`, 24);
    if (p) return p;
  }
  if (String(view.private_metadata ?? "").length > 3000)
    return invalid("/private_metadata", "must be less than 3001 characters");
  if (String(view.callback_id ?? "").length > 255)
    return invalid("/callback_id", "must be less than 256 characters");
  return undefined;
}

/** The input blocks' values as Slack sends them in `state.values`. */
function stateValues(blocks: Json[], typed: Record<string, string>): Json {
  const values: Json = {};
  for (const b of blocks) {
    if (b.type !== "input") continue;
    const el = b.element as Json;
    const block = String(b.block_id);
    const action = String(el.action_id);
    const value = typed[block] ?? (typeof el.initial_value === "string" ? el.initial_value : "");
    const label = String((b.label as Json).text);
    if (b.optional !== true && value === "") throw new Error(`fake Slack: "${label}" is required`);
    if (el.max_length !== undefined && value.length > Number(el.max_length))
      throw new Error(`fake Slack: "${label}" takes at most ${String(el.max_length)} characters`);
    values[block] = { [action]: { type: el.type, value: value === "" ? null : value } };
  }
  return values;
}

/** views.open: the trigger exchanged once, within 3 s; the view checked; it opens. */
export function viewsOpen(
  { params }: Call,
  triggers: Map<string, Trigger>,
  views: FakeView[],
  now = Date.now(),
): ApiAnswer {
  const id = str(params.trigger_id);
  if (!id) return fail("invalid_arguments");
  if (!/^\d+\.\d+\.[0-9a-f]+$/.test(id)) return fail("invalid_trigger_id");
  const trigger = triggers.get(id);
  if (!trigger) return fail("invalid_trigger_id");
  if (trigger.used) return fail("exchanged_trigger_id");
  if (now - trigger.at > TRIGGER_TTL_MS) return fail("expired_trigger_id");
  let view: Json;
  try {
    view = (typeof params.view === "string" ? JSON.parse(params.view) : params.view) as Json;
  } catch {
    return fail("invalid_arguments");
  }
  if (!view || typeof view !== "object") return fail("invalid_arguments");
  const problem = viewProblem(view);
  if (problem) return problem;
  trigger.used = true;
  const viewId = `V${Date.now().toString(36).toUpperCase()}${(++sequence).toString(36).toUpperCase()}`;
  const opened: Json = {
    id: viewId,
    team_id: TEAM_ID,
    type: "modal",
    close: null,
    submit: null,
    ...view,
    private_metadata: view.private_metadata ?? "",
    callback_id: view.callback_id ?? "",
    external_id: view.external_id ?? "",
    state: { values: {} },
    hash: `${Math.floor(now / 1000)}.${sequence.toString(16).padStart(8, "0")}`,
    clear_on_close: false,
    notify_on_close: false,
    previous_view_id: null,
    root_view_id: viewId,
    app_id: APP_ID,
    app_installed_team_id: TEAM_ID,
    bot_id: BOT_ID,
  };
  views.push({ id: viewId, user: trigger.user, view: opened, state: "open" });
  return ok({ view: opened });
}

/** The view_submission payload of a person submitting an open view. */
export function viewSubmission(
  open: FakeView,
  typed: Record<string, string>,
  triggerId: string,
  user: { id: string; name: string },
): Json {
  const values = stateValues(open.view.blocks as Json[], typed);
  return {
    type: "view_submission",
    team: { id: TEAM_ID, domain: "ardary-test" },
    user: { id: user.id, username: user.name, name: user.name, team_id: TEAM_ID },
    api_app_id: APP_ID,
    token: "legacy-verification-token",
    trigger_id: triggerId,
    view: { ...open.view, state: { values } },
    response_urls: [],
    is_enterprise_install: false,
    enterprise: null,
  };
}

/** What the app's answer to a submission does to the view; throws when Slack would refuse it. */
export function applyAnswer(open: FakeView, status: number, body: unknown): void {
  if (status !== 200) throw new Error(`fake Slack: the view_submission was answered ${status}`);
  const answer = (typeof body === "object" && body !== null ? body : {}) as Json;
  if (answer.response_action === "errors") {
    const errors = (answer.errors ?? {}) as Record<string, string>;
    const inputs = new Set(
      (open.view.blocks as Json[]).filter((b) => b.type === "input").map((b) => String(b.block_id)),
    );
    for (const key of Object.keys(errors))
      if (!inputs.has(key)) throw new Error(`fake Slack: errors name ${key}, not an input block`);
    open.errors = errors;
    return;
  }
  if (typeof body === "string" && body !== "")
    throw new Error("fake Slack: the answer is not empty nor JSON");
  open.errors = undefined;
  open.state = "closed";
}
