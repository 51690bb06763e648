// A light Block Kit check for the fake Slack: enough to catch what real Slack refuses with
// invalid_blocks (unknown block types, a section with no text, over-long texts, duplicate
// ids). Limits from https://docs.slack.dev/reference/block-kit/blocks
// Not a full validator: real Slack checks much more.

const BLOCK_TYPES = new Set([
  "actions",
  "context",
  "divider",
  "file",
  "header",
  "image",
  "input",
  "markdown",
  "rich_text",
  "section",
  "video",
]);

type Obj = Record<string, unknown>;

function isObj(value: unknown): value is Obj {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A text object problem, or undefined when it is a valid one. */
function textProblem(
  text: unknown,
  where: string,
  max: number,
  plainOnly = false,
): string | undefined {
  if (!isObj(text)) return `${where} must be a text object`;
  if (text.type !== "plain_text" && (plainOnly || text.type !== "mrkdwn")) {
    return `${where}.type must be ${plainOnly ? "plain_text" : "plain_text or mrkdwn"}`;
  }
  if (typeof text.text !== "string" || text.text.length === 0) return `${where}.text is required`;
  if (text.text.length > max) return `${where}.text must be at most ${max} characters`;
  return undefined;
}

function elementProblem(
  element: unknown,
  where: string,
  actionIds: Set<string>,
): string | undefined {
  if (!isObj(element) || typeof element.type !== "string") return `${where}.type is required`;
  if (typeof element.action_id === "string") {
    if (element.action_id.length > 255) return `${where}.action_id is too long`;
    if (actionIds.has(element.action_id)) return `${where}.action_id must be unique`;
    actionIds.add(element.action_id);
  }
  if (element.type === "button") {
    const problem = textProblem(element.text, `${where}.text`, 75, true);
    if (problem) return problem;
    if (typeof element.value === "string" && element.value.length > 2000) {
      return `${where}.value must be at most 2000 characters`;
    }
  }
  return undefined;
}

function blockProblem(block: unknown, where: string, actionIds: Set<string>): string | undefined {
  if (!isObj(block) || typeof block.type !== "string") return `${where}.type is required`;
  if (!BLOCK_TYPES.has(block.type)) return `${where}.type "${block.type}" is not a block type`;
  switch (block.type) {
    case "section": {
      if (block.text === undefined && block.fields === undefined) {
        return `${where} must have text or fields`;
      }
      if (block.text !== undefined) return textProblem(block.text, `${where}.text`, 3000);
      if (!Array.isArray(block.fields) || block.fields.length > 10) {
        return `${where}.fields must hold 1 to 10 texts`;
      }
      for (const [i, field] of block.fields.entries()) {
        const problem = textProblem(field, `${where}.fields[${i}]`, 2000);
        if (problem) return problem;
      }
      return undefined;
    }
    case "header":
      return textProblem(block.text, `${where}.text`, 150, true);
    case "context":
    case "actions": {
      const max = block.type === "context" ? 10 : 25;
      if (!Array.isArray(block.elements) || block.elements.length === 0) {
        return `${where}.elements is required`;
      }
      if (block.elements.length > max) return `${where}.elements must hold at most ${max}`;
      for (const [i, element] of block.elements.entries()) {
        const problem = elementProblem(element, `${where}.elements[${i}]`, actionIds);
        if (problem) return problem;
      }
      return undefined;
    }
    default:
      return undefined;
  }
}

/** The first problem Slack would report for these blocks, or undefined when they pass. */
export function blocksProblem(blocks: unknown[]): string | undefined {
  if (blocks.length > 50) return "no more than 50 items allowed [json-pointer:/blocks]";
  const blockIds = new Set<string>();
  const actionIds = new Set<string>();
  for (const [i, block] of blocks.entries()) {
    const problem = blockProblem(block, `/blocks/${i}`, actionIds);
    if (problem) return problem;
    const id = (block as Obj).block_id;
    if (id !== undefined) {
      if (typeof id !== "string" || id.length > 255) return `/blocks/${i}/block_id is invalid`;
      if (blockIds.has(id)) return `/blocks/${i}/block_id "${id}" is not unique`;
      blockIds.add(id);
    }
  }
  return undefined;
}
