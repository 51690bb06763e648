// Ardary callbacks → SmsEvent: the contract's four examples (ardary-api.md §3) as a GET query
// and as JSON objects, both date forms across DST, every malformed payload, and text made
// storable.
import { describe, expect, it } from "vitest";
import { formatArdaryDate, parseArdaryDate } from "../../../../adapters/ardary/dates.ts";
import { parseCallback, storable } from "../../../../adapters/ardary/parse.ts";
import { BadRequestError } from "../../../../src/kernel/errors.ts";

const PARIS = "Europe/Paris";

const examples = {
  status: {
    user: "SENDER_LOGIN",
    phonenumber: "+33612345678",
    status: "sent",
    date_status: "2019-08-09T12:50:54.211Z",
    id_sms_api: "09403292039020",
  },
  message: {
    title: "incoming sms",
    from: "+12025550123",
    body: "Hello world !",
    date: "2020-01-21 10:01:38",
  },
  click: {
    title: "clicked link",
    phonenumber: "+33612345678",
    link: "https://example.com/offer?a=1&b=2",
    date: "2019-07-08 15:07:03",
    id_sms_api: "09403292039020",
  },
  call: { title: "incoming call", phonenumber: "+33612345678", call_date: "2019-07-05 15:11:04" },
};

const expected = {
  status: {
    kind: "status",
    ref: "09403292039020",
    phone: "+33612345678",
    status: "sent",
    at: new Date("2019-08-09T12:50:54.211Z"),
  },
  // 2020-01-21 is winter time in Paris (UTC+1).
  message: {
    kind: "inbound-sms",
    from: "+12025550123",
    text: "Hello world !",
    at: new Date("2020-01-21T09:01:38Z"),
  },
  // July is summer time (UTC+2).
  click: {
    kind: "click",
    ref: "09403292039020",
    phone: "+33612345678",
    link: "https://example.com/offer?a=1&b=2",
    at: new Date("2019-07-08T13:07:03Z"),
  },
  call: { kind: "call", phone: "+33612345678", at: new Date("2019-07-05T13:11:04Z") },
};

/** What Express hands the route for `GET /callback?<name>=<URL-encoded JSON>`. */
function query(name: string, payload: unknown): Record<string, unknown> {
  const qs = `${name}=${encodeURIComponent(JSON.stringify(payload))}`;
  return Object.fromEntries(new URLSearchParams(qs));
}

function badRequest(params: Record<string, unknown>): BadRequestError {
  try {
    parseCallback(params, PARIS);
  } catch (err) {
    expect(err).toBeInstanceOf(BadRequestError);
    return err as BadRequestError;
  }
  throw new Error("expected a BadRequestError");
}

describe("parseCallback: the contract's examples", () => {
  for (const name of Object.keys(examples) as (keyof typeof examples)[]) {
    it(`${name} as a GET query (URL-decoded JSON string)`, () => {
      expect(parseCallback(query(name, examples[name]), PARIS)).toEqual(expected[name]);
    });
    it(`${name} as a JSON object (POSTed body)`, () => {
      expect(parseCallback({ [name]: examples[name] }, PARIS)).toEqual(expected[name]);
    });
  }

  it("reads status received, a numeric id, a zone-less date and a 00-prefixed number", () => {
    const event = parseCallback(
      query("status", {
        ...examples.status,
        status: "received",
        id_sms_api: 42,
        phonenumber: "0033 6 12 34 56 78",
        date_status: "2019-08-09 14:50:54",
      }),
      PARIS,
    );
    expect(event).toEqual({
      kind: "status",
      ref: "42",
      phone: "+33612345678",
      status: "received",
      at: new Date("2019-08-09T12:50:54Z"),
    });
  });

  it("reads zone-less dates in the configured zone", () => {
    const event = parseCallback(
      { call: { ...examples.call, call_date: "2019-01-05 15:11:04" } },
      "America/New_York",
    );
    expect(event).toEqual({
      kind: "call",
      phone: "+33612345678",
      at: new Date("2019-01-05T20:11:04Z"),
    });
  });

  it("tolerates unknown fields and older field names; a click may lack id_sms_api", () => {
    const { id_sms_api: _, ...click } = examples.click;
    expect(parseCallback({ click: { ...click, extra: { nested: true } } }, PARIS)).toMatchObject({
      kind: "click",
      ref: null,
    });
    expect(
      parseCallback(
        { message: { phone: "+12025550123", sms: "Hi", date: examples.message.date } },
        PARIS,
      ),
    ).toMatchObject({ kind: "inbound-sms", from: "+12025550123", text: "Hi" });
  });
});

describe("parseCallback: ignored", () => {
  it("no known parameter", () => {
    expect(parseCallback({ foo: "1" }, PARIS)).toMatchObject({ kind: "ignored" });
    expect(parseCallback({}, PARIS)).toMatchObject({ kind: "ignored" });
  });

  it("a status other than sent/received", () => {
    const event = parseCallback(query("status", { ...examples.status, status: "failed" }), PARIS);
    expect(event).toEqual({ kind: "ignored", reason: 'status "failed" is not tracked' });
  });
});

describe("parseCallback: malformed → BadRequestError naming parameter and field", () => {
  it("broken JSON", () => {
    const err = badRequest({ message: '{"from":"+12025550123","body":"Hello world !"' });
    expect(err.message).toBe('callback "message" is not valid JSON');
    expect(err.status).toBe(400);
  });

  it("JSON that is not an object, or a parameter given twice", () => {
    expect(badRequest({ call: "[1,2]" }).message).toBe('callback "call" is not a JSON object');
    expect(badRequest({ call: ["{}", "{}"] }).message).toBe(
      'callback "call" is given more than once',
    );
  });

  it("a missing or mistyped field", () => {
    const { date_status: _, ...noDate } = examples.status;
    expect(badRequest(query("status", noDate)).message).toBe(
      'callback "status": field "date_status" is missing',
    );
    expect(badRequest({ message: { ...examples.message, body: 12 } }).message).toBe(
      'callback "message": field "body" is invalid',
    );
  });

  it("an invalid phone number, without echoing it or the body", () => {
    const err = badRequest(query("message", { ...examples.message, from: "+1234" }));
    expect(err.message).toBe('callback "message": field "from" is not a valid phone number');
    expect(err.message).not.toContain("1234");
    expect(err.message).not.toContain("Hello");
  });

  it("an unparseable date", () => {
    expect(
      badRequest(query("click", { ...examples.click, date: "2019-02-30 10:00:00" })).message,
    ).toBe('callback "click": field "date" is not a date');
    expect(badRequest({ call: { ...examples.call, call_date: "yesterday" } }).message).toBe(
      'callback "call": field "call_date" is not a date',
    );
  });
});

describe("dates", () => {
  it("reads ISO-8601 with Z or an offset", () => {
    expect(parseArdaryDate("2020-01-02T13:34:37.096Z", PARIS)).toEqual(
      new Date("2020-01-02T13:34:37.096Z"),
    );
    expect(parseArdaryDate("2020-01-02T14:34:37+01:00", PARIS)).toEqual(
      new Date("2020-01-02T13:34:37Z"),
    );
  });

  it("reads zone-less dates in winter and summer time, and across both DST changes", () => {
    expect(parseArdaryDate("2024-01-15 12:00:00", PARIS)).toEqual(new Date("2024-01-15T11:00:00Z"));
    expect(parseArdaryDate("2024-07-15 12:00:00", PARIS)).toEqual(new Date("2024-07-15T10:00:00Z"));
    expect(parseArdaryDate("2024-03-31 01:59:59", PARIS)).toEqual(new Date("2024-03-31T00:59:59Z"));
    expect(parseArdaryDate("2024-03-31 03:00:00", PARIS)).toEqual(new Date("2024-03-31T01:00:00Z"));
    // 02:30 does not exist that night: moved forward by the hour skipped (= 03:30 CEST).
    expect(parseArdaryDate("2024-03-31 02:30:00", PARIS)).toEqual(new Date("2024-03-31T01:30:00Z"));
    // 02:30 happens twice on 27 October: the first (CEST) is taken.
    expect(parseArdaryDate("2024-10-27 02:30:00", PARIS)).toEqual(new Date("2024-10-27T00:30:00Z"));
    expect(parseArdaryDate("2024-10-27 03:00:00", PARIS)).toEqual(new Date("2024-10-27T02:00:00Z"));
  });

  it("rejects impossible dates and other forms", () => {
    for (const s of [
      "2020-02-30 10:00:00",
      "2020-01-01 24:00:00",
      "21/01/2020 10:01",
      "",
      "1579597298",
    ]) {
      expect(parseArdaryDate(s, PARIS)).toBeNull();
    }
  });

  it("formats YYYY-MM-DD HH:mm:ss in the zone, and reads its own output back", () => {
    expect(formatArdaryDate(new Date("2024-01-01T23:30:00Z"), PARIS)).toBe("2024-01-02 00:30:00");
    expect(formatArdaryDate(new Date("2024-07-01T10:00:05Z"), PARIS)).toBe("2024-07-01 12:00:05");
    expect(formatArdaryDate(new Date("2024-10-27T01:30:00Z"), PARIS)).toBe("2024-10-27 02:30:00");
    const now = new Date("2024-03-31T01:15:00Z");
    expect(parseArdaryDate(formatArdaryDate(now, PARIS), PARIS)).toEqual(now);
  });
});

describe("input hygiene", () => {
  it("makes text storable: NUL and lone surrogates become U+FFFD, pairs stay", () => {
    expect(storable("a\u0000b\ud800c\udc00d😀")).toBe("a\uFFFDb\uFFFDc\uFFFDd😀");
  });
});
