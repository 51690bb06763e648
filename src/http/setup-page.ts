// The setup page at `/`: what works and what to do next, one part per piece (src/boot/setup.ts),
// as plain server-rendered HTML (no script, readable on a phone), and the files it links to at
// `/setup/<name>` (Slack's manifest with this bridge's address filled in). The page is public:
// it shows no secret, token, customer number or text; calls out are made at most once a minute,
// and it answers within a second whatever Slack or Discord do. Anything else under /setup is 404.
import express, { type Request, type Response, type Router } from "express";
import type { Env } from "../boot/env.ts";
import type { Setup, SetupPart, SetupReport } from "../boot/setup.ts";
import type { CheckState, SetupLine } from "../contracts/index.ts";

/** How long the page lets calls out keep it waiting: it answers within a second. */
export const PAGE_DEADLINE_MS = 800;

/**
 * The address the person reached this page at, from the request (the `Host` a PaaS router
 * passes on, `X-Forwarded-Proto` for the scheme): undefined when it does not look like one.
 */
export function requestUrl(req: Request): string | undefined {
  const forwarded = req.get("x-forwarded-proto")?.split(",")[0]?.trim().toLowerCase();
  const proto = forwarded || ((req.socket as { encrypted?: boolean }).encrypted ? "https" : "http");
  if (proto !== "http" && proto !== "https") return undefined;
  const host = req.get("host")?.trim() ?? "";
  const hostname = /^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;
  return hostname.test(host) ? `${proto}://${host.toLowerCase()}` : undefined;
}

const MARK: Record<CheckState, { sign: string; words: string }> = {
  ok: { sign: "✓", words: "works" },
  warn: { sign: "⚠️", words: "to look at" },
  fail: { sign: "✗", words: "to fix" },
  off: { sign: "–", words: "off" },
};

const html = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );

/** `code` spans for what is written between backticks. */
const words = (s: string) =>
  html(s).replace(/`([^`]+)`/g, (_m, code: string) => `<code>${code}</code>`);

function mark(state: CheckState): string {
  const m = MARK[state];
  return `<span class="mark" role="img" aria-label="${m.words}">${m.sign}</span>`;
}

/** Only links a person may follow: http(s) addresses and this bridge's own paths. */
function safeHref(href: string): string | undefined {
  return /^(https?:\/\/|\/(?!\/))/i.test(href) ? href : undefined;
}

function renderLine(l: SetupLine): string {
  const href = l.link && safeHref(l.link.href);
  return [
    `<li class="line" data-line="${html(l.id)}" data-state="${l.state}">${mark(l.state)}`,
    `<div><strong>${html(l.label)}</strong>: <span class="found">${words(l.found)}</span>`,
    l.todo ? `<p class="todo">${l.state === "ok" ? "" : "To do: "}${words(l.todo)}</p>` : "",
    l.link && href ? `<p class="link"><a href="${html(href)}">${html(l.link.text)}</a></p>` : "",
    l.command ? `<p class="command"><code>${html(l.command)}</code></p>` : "",
    "</div></li>",
  ].join("");
}

function renderPart(p: SetupPart): string {
  return [
    `<section class="part" id="${html(p.id)}" data-part="${html(p.id)}" data-state="${p.state}">`,
    `<h2>${mark(p.state)} ${html(p.name)}</h2>`,
    `<ul>${p.lines.map(renderLine).join("")}</ul>`,
    "</section>",
  ].join("");
}

function summary(r: SetupReport): string {
  const count = (state: CheckState) =>
    r.parts.reduce((n, p) => n + p.lines.filter((l) => l.state === state).length, 0);
  const fail = count("fail");
  const warn = count("warn");
  if (fail === 0 && warn === 0) return "Everything is set up.";
  const parts = [
    fail > 0 ? `${fail} thing${fail > 1 ? "s" : ""} to fix (✗)` : "",
    warn > 0 ? `${warn} to look at (⚠️)` : "",
  ].filter(Boolean);
  return `${parts.join(", ")}: each line says what to do.`;
}

const STYLE = `
:root{color-scheme:light dark;--ok:#1a7f37;--warn:#9a6700;--fail:#cf222e;--off:#6e7781;--line:#d0d7de}
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:46rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.5rem 0}
h2{font-size:1.15rem;margin:0 0 .25rem}
.summary{font-weight:600}
.notice{border-left:4px solid var(--warn);padding:.25rem .75rem}
.part{border:1px solid var(--line);border-radius:8px;padding:.75rem 1rem;margin:1rem 0}
.part[data-state=fail]{border-color:var(--fail)}
ul{list-style:none;margin:0;padding:0}
.line{display:flex;gap:.6rem;padding:.4rem 0;border-top:1px solid var(--line)}
.line:first-child{border-top:0}
.line>div{min-width:0;overflow-wrap:anywhere}
.line p{margin:.2rem 0}
.mark{display:inline-block;width:1.4em;text-align:center;font-weight:700;flex:none}
[data-state=ok]>.mark,[data-state=ok]>h2>.mark{color:var(--ok)}
[data-state=warn]>.mark,[data-state=warn]>h2>.mark{color:var(--warn)}
[data-state=fail]>.mark,[data-state=fail]>h2>.mark{color:var(--fail)}
[data-state=off]>.mark,[data-state=off]>h2>.mark{color:var(--off)}
code{font:.9em ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:rgba(127,127,127,.15);padding:.05em .3em;border-radius:4px}
.command code{white-space:pre-wrap;overflow-wrap:anywhere}
footer{color:var(--off);font-size:.9rem;margin:1.5rem 0}
`;

/** The page: a summary, one part per piece, and how to look again. */
export function renderSetupPage(r: SetupReport, o: { guessedUrl?: string } = {}): string {
  const notice = o.guessedUrl
    ? `<p class="notice">PUBLIC_URL is not set: this page and the manifest use the address you opened it at, <code>${html(o.guessedUrl)}</code>. Set <code>PUBLIC_URL=${html(o.guessedUrl)}</code> so that the bridge knows it.</p>`
    : "";
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>ardary-bridge: set-up</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>ardary-bridge: set-up</h1>
<p class="summary" data-ok="${r.ok}">${html(summary(r))}</p>
${notice}
${r.parts.map(renderPart).join("\n")}
<footer>
<p>Checked ${html(new Date(r.at).toUTCString())} by ${html(r.process)}. Slack and Discord are asked at most once a minute: reload to look again.</p>
<p>The same in a terminal: <code>npx ardary-bridge doctor</code>.</p>
</footer>
</main>
</body>
</html>
`;
}

function noStore(res: Response) {
  res.set({
    "Cache-Control": "no-store",
    "Content-Security-Policy":
      "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
  });
}

/** GET / (and /setup): the page; GET /setup/<file>: a file filled in; the rest of /setup: 404. */
export function setupRouter(o: { setup: Setup; env: Pick<Env, "PUBLIC_URL"> }): Router {
  const router = express.Router();
  const page = async (req: Request, res: Response) => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.status(405).set("Allow", "GET, HEAD").json({ error: "method not allowed" });
      return;
    }
    const guessed = o.env.PUBLIC_URL ? undefined : requestUrl(req);
    const report = await o.setup.report({ requestUrl: guessed, deadlineMs: PAGE_DEADLINE_MS });
    noStore(res);
    res.type("html").send(renderSetupPage(report, { guessedUrl: guessed }));
  };
  router.all("/", page);
  router.all("/setup", page);
  router.get("/setup/:name", (req, res, next) => {
    const file = o.setup.files().find((f) => f.name === req.params.name);
    if (!file) return next();
    const socketMode = req.query.mode === "socket";
    const url = o.env.PUBLIC_URL ?? requestUrl(req);
    noStore(res);
    if (!url && !socketMode) {
      res
        .status(409)
        .type("text/plain")
        .send(
          `The address of this bridge is not known: set PUBLIC_URL to its https:// address and restart, then ask again.\nWithout a public address (Slack's Socket Mode): ${req.baseUrl}/setup/${file.name}?mode=socket\n`,
        );
      return;
    }
    const note =
      !o.env.PUBLIC_URL && url
        ? `PUBLIC_URL is not set: made for ${url}, the address this was asked at. Set PUBLIC_URL=${url} on the bridge.`
        : undefined;
    res.type(file.contentType).send(file.render(url, { socketMode, note }));
  });
  router.use("/setup", (_req, res) => {
    res.status(404).json({ error: "not found" });
  });
  return router;
}
