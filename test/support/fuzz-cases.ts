// Hostile and odd provider callbacks, generated from a seed: the classes that once broke ingest
// (NUL, lone surrogates, dates Postgres cannot hold, unsupported charsets and encodings, bad
// %-escapes holding the secret) among good callbacks and plain malformed ones. Each case says
// what it must be answered. Used by `npm run fuzz` and by test/flows/survive-fuzz.test.ts.

export type FuzzClass =
  | "message"
  | "status"
  | "click"
  | "call"
  | "nul"
  | "surrogate"
  | "date-range"
  | "charset"
  | "encoding"
  | "escape"
  | "wrong-secret"
  | "broken-json"
  | "non-json-phone"
  | "bad-phone"
  | "too-large"
  | "unknown-param"
  | "phone-as-name"
  | "method";

export interface FuzzCase {
  cls: FuzzClass;
  method: string;
  /** Path and query, already encoded. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** The status it must get. */
  expect: number;
  /** The inbound SMS it stores, when it is one (its body holds `marker`). */
  stores?: { phone: string; marker: string };
  /** Full phone numbers it carries (none may reach a log). */
  phones: string[];
}

/** A small seeded PRNG (mulberry32): the same seed gives the same cases. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CLASSES: FuzzClass[] = [
  "message",
  "status",
  "click",
  "call",
  "nul",
  "surrogate",
  "date-range",
  "charset",
  "encoding",
  "escape",
  "wrong-secret",
  "broken-json",
  "non-json-phone",
  "bad-phone",
  "too-large",
  "unknown-param",
  "phone-as-name",
  "method",
];

/** The marker every generated message body carries (grep the logs for it). */
export const bodyMarker = (seed: number) => `fz${seed}b`;

export function generateCases(seed: number, n: number, secret: string): FuzzCase[] {
  const rnd = prng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const digits = (k: number) => Array.from({ length: k }, () => Math.floor(rnd() * 10)).join("");
  const cases: FuzzCase[] = [];
  for (let i = 0; i < n; i++) {
    // Some numbers come back, so a thread gets several messages; some callbacks are repeats.
    const phone = `+336${i % 7 === 0 ? "12345678" : digits(8)}`;
    const marker = `${bodyMarker(seed)}${i}x`;
    const date = `2026-0${1 + Math.floor(rnd() * 9)}-1${Math.floor(rnd() * 10)} 1${Math.floor(rnd() * 10)}:0${Math.floor(rnd() * 10)}:00`;
    const cb = (param: string, payload: unknown) =>
      `/ardary/callback/${secret}?${param}=${encodeURIComponent(JSON.stringify(payload))}`;
    const inbound = (body: string, at = date) => ({
      title: "incoming sms",
      from: phone,
      body,
      date: at,
    });
    const cls = pick(CLASSES);
    const base = { cls, method: "GET", phones: [phone] };
    switch (cls) {
      case "message":
        cases.push({
          ...base,
          path: cb("message", inbound(`hello ${marker}`)),
          expect: 200,
          stores: { phone, marker },
        });
        break;
      case "status":
        cases.push({
          ...base,
          path: cb("status", {
            phonenumber: phone,
            status: pick(["sent", "received", "failed"]),
            date_status: "2026-11-27T10:00:00Z",
            id_sms_api: `fz-${digits(6)}`,
          }),
          expect: 200,
        });
        break;
      case "click":
        cases.push({
          ...base,
          path: cb("click", { phonenumber: phone, link: "https://example.com/a", date }),
          expect: 200,
        });
        break;
      case "call":
        cases.push({
          ...base,
          path: cb("call", { phonenumber: phone, call_date: date }),
          expect: 200,
        });
        break;
      case "nul":
        cases.push({
          ...base,
          path: cb("message", inbound(`nul\u0000in ${marker}`)),
          expect: 200,
          stores: { phone, marker },
        });
        break;
      case "surrogate":
        cases.push({
          ...base,
          path: cb("message", inbound(`${pick(["\ud800", "\udfff", "a\udc00b"])} ${marker}`)),
          expect: 200,
          stores: { phone, marker },
        });
        break;
      case "date-range":
        cases.push({
          ...base,
          path: cb(
            "message",
            inbound(`old ${marker}`, pick(["0000-01-01 00:00:00", "0000-06-30T12:00:00Z"])),
          ),
          expect: 200,
          stores: { phone, marker },
        });
        break;
      case "charset": {
        const json = rnd() < 0.5;
        const body = json
          ? JSON.stringify({ message: inbound(`charset ${marker}`) })
          : `message=${encodeURIComponent(JSON.stringify(inbound(`charset ${marker}`)))}`;
        cases.push({
          ...base,
          method: "POST",
          path: `/ardary/callback/${secret}`,
          headers: {
            "content-type": `${json ? "application/json" : "application/x-www-form-urlencoded"}; charset=${pick(["koi8-r", "latin1", "x-fuzz"])}`,
          },
          body,
          expect: 415,
        });
        break;
      }
      case "encoding":
        cases.push({
          ...base,
          method: "POST",
          path: `/ardary/callback/${secret}`,
          headers: {
            "content-type": "application/json",
            "content-encoding": pick(["x-fuzz", "compress", "identity, x-fuzz"]),
          },
          body: JSON.stringify({ message: inbound(`enc ${marker}`) }),
          expect: 415,
        });
        break;
      case "escape":
        cases.push({
          ...base,
          path: `/ardary/callback/${pick(["%zz", "%E0%A4%A", "%"])}${secret}?message=${encodeURIComponent(JSON.stringify(inbound(`esc ${marker}`)))}`,
          expect: 400,
        });
        break;
      case "wrong-secret":
        cases.push({
          ...base,
          path: cb("message", inbound(`wrong ${marker}`)).replace(secret, `${secret.slice(1)}x`),
          expect: 404,
        });
        break;
      case "broken-json":
        cases.push({
          ...base,
          path: `/ardary/callback/${secret}?message=${encodeURIComponent(`{"from":"${phone}","body":"${marker}`)}`,
          expect: 400,
        });
        break;
      case "non-json-phone":
        cases.push({
          ...base,
          path: `/ardary/callback/${secret}?${pick(["message", "call", "status"])}=${encodeURIComponent(phone)}`,
          expect: 400,
        });
        break;
      case "bad-phone":
        cases.push({
          ...base,
          path: cb("message", { ...inbound(`badphone ${marker}`), from: `x${phone}y` }),
          expect: 400,
        });
        break;
      case "too-large":
        cases.push({
          ...base,
          method: "POST",
          path: `/ardary/callback/${secret}`,
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: inbound(`${marker}${"y".repeat(70_000)}`) }),
          expect: 413,
        });
        break;
      case "unknown-param":
        cases.push({
          ...base,
          path: `/ardary/callback/${secret}?foo=${phone.slice(1)}`,
          expect: 200,
        });
        break;
      case "phone-as-name":
        cases.push({
          ...base,
          path: `/ardary/callback/${secret}?${encodeURIComponent(phone)}=${encodeURIComponent(marker)}`,
          expect: 200,
        });
        break;
      case "method":
        cases.push({
          ...base,
          method: "PUT",
          path: cb("call", { phonenumber: phone }),
          expect: 405,
        });
        break;
    }
  }
  return cases;
}

export interface FuzzResult {
  /** Answers by status. */
  byStatus: Record<string, number>;
  /** Cases whose answer was not the expected one: class → count. */
  unexpected: Record<string, number>;
  /** Markers of the inbound SMS answered 200 (each must be stored once). */
  storedMarkers: Set<string>;
  /** 503 answers that were tried again (a busy database; never expected for long). */
  retried503: number;
}

/** Sends the cases to `baseUrl`, `concurrency` at a time. */
export async function runCases(
  baseUrl: string,
  cases: FuzzCase[],
  concurrency = 16,
): Promise<FuzzResult> {
  const result: FuzzResult = {
    byStatus: {},
    unexpected: {},
    storedMarkers: new Set(),
    retried503: 0,
  };
  let next = 0;
  const worker = async () => {
    for (let c = cases[next++]; c; c = cases[next++]) {
      let res: Response | null = null;
      // A 503 means "try again", as the provider does: a busy moment, never a poison callback.
      for (let attempt = 0; attempt < 5; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 200 * attempt));
        res = await fetch(`${baseUrl}${c.path}`, {
          method: c.method,
          headers: c.headers,
          body: c.body,
        }).catch(() => null);
        await res?.arrayBuffer().catch(() => {});
        if (res?.status !== 503) break;
        result.retried503++;
      }
      const status = res ? String(res.status) : "no answer";
      result.byStatus[status] = (result.byStatus[status] ?? 0) + 1;
      if (res?.status !== c.expect)
        result.unexpected[`${c.cls} → ${status}`] =
          (result.unexpected[`${c.cls} → ${status}`] ?? 0) + 1;
      if (res?.status === 200 && c.stores) result.storedMarkers.add(c.stores.marker);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return result;
}

/** Log lines that hold something they must not: the secret or any 4 characters of it, a full
 * phone number, a message body. Returns a description of each finding. */
export function leaksIn(
  lines: string[],
  secret: string,
  cases: FuzzCase[],
  seed: number,
): string[] {
  const found: string[] = [];
  const windows = new Set<string>();
  for (let i = 0; i + 4 <= secret.length; i++) windows.add(secret.slice(i, i + 4));
  const phones = new Set(cases.flatMap((c) => c.phones));
  const national = new Set([...phones].map((p) => p.slice(3)));
  const marker = bodyMarker(seed);
  for (const line of lines) {
    for (const w of windows) if (line.includes(w)) found.push(`secret part "${w}": ${line}`);
    for (const p of phones) if (line.includes(p)) found.push(`phone ${p}: ${line}`);
    for (const p of national) if (line.includes(p)) found.push(`phone digits ${p}: ${line}`);
    if (line.includes(marker)) found.push(`message body: ${line}`);
  }
  return found;
}
