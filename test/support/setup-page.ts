// Reads the setup page (src/http/setup-page.ts) as a person would: each part's state, and each
// line's state and words, from the HTML the bridge serves (its data-part, data-line and
// data-state attributes).
import { type IncomingHttpHeaders, request } from "node:http";

export interface PageLine {
  state: string;
  /** The line's words, tags removed. */
  text: string;
  html: string;
}

export interface PagePart {
  state: string;
  lines: Map<string, PageLine>;
}

const decode = (s: string) =>
  s
    .replace(/<[^>]+>/g, " ")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ")
    .trim();

/** The parts of the page, by id, each with its lines by id. */
export function partsOf(html: string): Map<string, PagePart> {
  const parts = new Map<string, PagePart>();
  const sections =
    /<section class="part" id="[^"]*" data-part="([^"]+)" data-state="(\w+)">([\s\S]*?)<\/section>/g;
  for (const [, id, state, body] of html.matchAll(sections)) {
    const lines = new Map<string, PageLine>();
    const items = /<li class="line" data-line="([^"]+)" data-state="(\w+)">([\s\S]*?)<\/li>/g;
    for (const [, line, lineState, inner] of (body ?? "").matchAll(items))
      lines.set(line as string, {
        state: lineState as string,
        text: decode(inner ?? ""),
        html: inner ?? "",
      });
    parts.set(id as string, { state: state as string, lines });
  }
  return parts;
}

export interface Look {
  status: number;
  html: string;
  parts: Map<string, PagePart>;
  /** A line of a part; throws when it is not there. */
  line(part: string, line: string): PageLine;
}

/**
 * GET `url` with `headers`, the Host included (fetch would not send a Host of its own: a PaaS
 * router passes on the app's public one).
 */
export function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => {
        body += d;
      });
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

/** GET the page at `url` (with `headers`, e.g. the Host a PaaS router passes on). */
export async function lookAt(url: string, headers: Record<string, string> = {}): Promise<Look> {
  const res = await get(url, headers);
  const html = res.body;
  const parts = partsOf(html);
  return {
    status: res.status,
    html,
    parts,
    line(part, line) {
      const found = parts.get(part)?.lines.get(line);
      if (!found)
        throw new Error(
          `no line ${part}/${line} on the page: ${[...parts].map(([p, v]) => `${p}[${[...v.lines.keys()]}]`).join(" ")}`,
        );
      return found;
    },
  };
}
