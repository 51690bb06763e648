// Modals in the fake Discord, as Discord documents them. The MODAL interaction response
// (type 9) carries `data` with a custom_id (1–100 characters), a title (1–45) and 1 to 5
// action rows, each holding one text input (type 4: custom_id 1–100, style 1 short or 2
// paragraph, label 1–45, min_length 0–4000, max_length 1–4000, required (default true), value
// up to 4000 and within the lengths, placeholder up to 100). A modal cannot answer a
// MODAL_SUBMIT (or a PING). Submitting it sends a MODAL_SUBMIT interaction (type 5) whose
// `data` holds the modal's custom_id and its rows with each input's custom_id and value; the
// Discord client refuses to submit an empty required input or a value outside its lengths.
// https://discord.com/developers/docs/interactions/receiving-and-responding#interaction-response-object-modal
// https://discord.com/developers/docs/components/reference#text-input
import type { Json } from "./discord.ts";
import { invalidFormBody } from "./discord-rest.ts";

const bad = (path: string, code: string, message: string) =>
  invalidFormBody({ [`data.${path}`]: { code, message } });

function length(v: unknown, path: string, min: number, max: number, required = true): void {
  if (v === undefined && !required) return;
  if (typeof v !== "string") throw bad(path, "BASE_TYPE_REQUIRED", "This field is required");
  if (v.length < min || v.length > max)
    throw bad(path, "BASE_TYPE_BAD_LENGTH", `Must be between ${min} and ${max} in length.`);
}

function int(v: unknown, path: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    throw bad(path, "NUMBER_TYPE_MAX", `int value should be between ${min} and ${max}.`);
  return v;
}

/** Checks a type 9 response's `data`; throws Discord's 400 Invalid Form Body when wrong. */
export function checkModal(data: Json): void {
  length(data.custom_id, "custom_id", 1, 100);
  length(data.title, "title", 1, 45);
  const rows = data.components;
  if (!Array.isArray(rows) || rows.length < 1 || rows.length > 5)
    throw bad("components", "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 5 in length.");
  const ids = new Set<string>();
  rows.forEach((row: Json, r) => {
    const at = `components.${r}`;
    if (row?.type !== 1 || !Array.isArray(row.components) || row.components.length !== 1)
      throw bad(
        at,
        "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
        "An action row in a modal holds one text input.",
      );
    const input = row.components[0] as Json;
    const p = `${at}.components.0`;
    if (input?.type !== 4)
      throw bad(`${p}.type`, "COMPONENT_TYPE_INVALID", "Component type is invalid in a modal.");
    length(input.custom_id, `${p}.custom_id`, 1, 100);
    if (ids.has(String(input.custom_id)))
      throw bad(
        `${p}.custom_id`,
        "COMPONENT_CUSTOM_ID_DUPLICATED",
        "Component custom id cannot be duplicated",
      );
    ids.add(String(input.custom_id));
    if (input.style !== 1 && input.style !== 2)
      throw bad(`${p}.style`, "BASE_TYPE_CHOICES", "Value must be one of {1, 2}.");
    length(input.label, `${p}.label`, 1, 45);
    const min = int(input.min_length, `${p}.min_length`, 0, 4000) ?? 0;
    const max = int(input.max_length, `${p}.max_length`, 1, 4000) ?? 4000;
    length(input.value, `${p}.value`, min, max, false);
    length(input.placeholder, `${p}.placeholder`, 0, 100, false);
    if (input.required !== undefined && typeof input.required !== "boolean")
      throw bad(`${p}.required`, "BASE_TYPE_BAD_BOOLEAN", "Must be either true or false.");
  });
}

/**
 * What the person submits: every input of the modal with its value (what they typed, else what
 * it was filled with); the client's own checks first.
 */
export function submittedRows(modal: Json, typed: Record<string, string>): Json[] {
  return (modal.components as Json[]).map((row) => {
    const input = (row.components as Json[])[0] as Json;
    const id = String(input.custom_id);
    const value = typed[id] ?? (typeof input.value === "string" ? input.value : "");
    if (input.required !== false && value === "")
      throw new Error(`fake discord: "${String(input.label)}" is required`);
    const min = Number(input.min_length ?? 0);
    const max = Number(input.max_length ?? 4000);
    if (value !== "" && (value.length < min || value.length > max))
      throw new Error(`fake discord: "${String(input.label)}" takes ${min} to ${max} characters`);
    return { type: 1, components: [{ type: 4, custom_id: id, value }] };
  });
}
