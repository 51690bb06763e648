// A Slack thread as a person sees it, drawn from what the fake Slack holds (the card's blocks,
// the posts, people's replies and their reactions): for the README's picture of a thread
// (`npm run screenshots`). Enough of Block Kit and mrkdwn for the bridge's own posts.
import type { FakeMessage } from "../fakes/slack.ts";

const EMOJI: Record<string, string> = {
  speech_balloon: "💬",
  hourglass_flowing_sand: "⏳",
  outbox_tray: "📤",
  white_check_mark: "✅",
  iphone: "📱",
  x: "❌",
  warning: "⚠️",
  clock3: "🕒",
  no_entry_sign: "🚫",
};

const html = (s: string) => s.replace(/&(?!(amp|lt|gt);)/g, "&amp;").replace(/</g, "&lt;");

/** Slack's mrkdwn (already escaped by whoever wrote it) as HTML. */
function mrkdwn(text: string, names: (id: string) => string): string {
  const clock = (seconds: string) => {
    const d = new Date(Number(seconds) * 1000);
    return `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  };
  const lines = text
    .replace(/<!date\^(\d+)\^[^|>]*\|[^>]*>/g, (_m, s: string) => clock(s))
    .replace(/<@([A-Z0-9]+)>/g, (_m, id: string) => `<span class="mention">@${names(id)}</span>`)
    .replace(/:([a-z0-9_]+):/g, (m, name: string) => EMOJI[name] ?? m)
    .split("\n");
  const out: string[] = [];
  for (const line of lines) {
    const quoted = line.startsWith("&gt;") || line.startsWith(">");
    let body = quoted ? line.replace(/^(&gt;|>)/, "") : line;
    body = body
      .replace(/\*([^*\n]+)\*/g, "<b>$1</b>")
      .replace(/(^|\s)_([^_\n]+)_/g, "$1<i>$2</i>")
      .replace(/`([^`\n]+)`/g, "<code>$1</code>");
    out.push(quoted ? `<blockquote>${body}</blockquote>` : `<div>${body}</div>`);
  }
  return out.join("");
}

type Block = { type: string; text?: { text: string }; elements?: Record<string, unknown>[] };

function blocksHtml(blocks: Block[], names: (id: string) => string): string {
  return blocks
    .map((b) => {
      if (b.type === "section")
        return `<div class="section">${mrkdwn(b.text?.text ?? "", names)}</div>`;
      if (b.type === "context")
        return `<div class="context">${(b.elements ?? []).map((e) => mrkdwn(String(e.text ?? ""), names)).join(" ")}</div>`;
      if (b.type === "actions")
        return `<div class="actions">${(b.elements ?? [])
          .map((e) => {
            const label = html(
              String(
                (e.text as { text?: string } | undefined)?.text ??
                  (e.placeholder as { text?: string } | undefined)?.text ??
                  "",
              ),
            );
            return e.type === "users_select"
              ? `<span class="select">${label} ▾</span>`
              : `<span class="button ${e.style ?? ""}">${label}</span>`;
          })
          .join("")}</div>`;
      return "";
    })
    .join("");
}

/** The page: the channel's name, then the thread's messages, oldest first. */
export function threadHtml(
  channelName: string,
  messages: FakeMessage[],
  names: (id: string) => string,
): string {
  const items = messages.map((m) => {
    const bot = Boolean(m.bot_id);
    const who = bot ? "Ardary SMS" : names(m.user);
    const d = new Date(Number(m.ts) * 1000);
    const time = `${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
    const body = m.blocks?.length
      ? blocksHtml(m.blocks as Block[], names)
      : mrkdwn(html(m.text), names);
    const reactions = m.reactions
      .map((r) => `<span class="reaction">${EMOJI[r.name] ?? `:${r.name}:`} 1</span>`)
      .join("");
    const initials = who
      .split(/\s+/)
      .map((w) => w[0])
      .join("")
      .slice(0, 2);
    return `<div class="message"><div class="avatar ${bot ? "bot" : ""}">${bot ? "💬" : html(initials)}</div>
<div class="content"><div class="head"><b>${html(who)}</b>${bot ? '<span class="app">APP</span>' : ""}<span class="time">${time}</span></div>
${body}${reactions ? `<div class="reactions">${reactions}</div>` : ""}</div></div>`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><style>
body{margin:0;font:15px/1.46 "Noto Sans",system-ui,sans-serif;color:#1d1c1d;background:#fff}
.bar{padding:12px 20px;border-bottom:1px solid #ddd;font-weight:700}
.bar span{color:#616061;font-weight:400;margin-left:8px}
.message{display:flex;gap:10px;padding:10px 20px}
.message:first-of-type{border-bottom:1px solid #eee;padding-bottom:14px}
.avatar{flex:none;width:36px;height:36px;border-radius:6px;background:#4a154b;color:#fff;display:flex;align-items:center;justify-content:center;font-weight:700;font-size:14px}
.avatar.bot{background:#e8f5fa;font-size:20px}
.content{min-width:0;flex:1}
.head{margin-bottom:2px}.time{color:#616061;font-size:12px;margin-left:8px}
.app{background:#eee;color:#616061;font-size:10px;font-weight:700;padding:1px 4px;border-radius:3px;margin-left:6px}
blockquote{margin:2px 0;padding-left:10px;border-left:4px solid #ddd}
.context{color:#616061;font-size:13px;margin:4px 0}
.context div{display:inline}
.actions{margin-top:8px;display:flex;flex-wrap:wrap;gap:8px}
.button,.select{border:1px solid #ccc;border-radius:4px;padding:3px 12px;font-size:13px;font-weight:700}
.button.danger{color:#e01e5a}.button.primary{background:#007a5a;color:#fff;border-color:#007a5a}
.select{font-weight:400;color:#616061}
.reactions{margin-top:4px;display:flex;gap:4px}
.reaction{border:1px solid #d6e6f5;background:#f2f8fd;border-radius:12px;padding:0 7px;font-size:13px}
.mention{background:#e8f5fa;color:#1264a3;border-radius:3px;padding:0 2px}
code{font-size:12px;background:#f6f6f6;border:1px solid #ddd;border-radius:3px;padding:0 3px;color:#e01e5a}
</style></head><body><div class="bar">Thread<span>#${html(channelName)}</span></div>
${items.join("\n")}</body></html>`;
}
