// The error map of the HTTP app (src/http/app.ts): each class of error its status, and only an
// unavailable database a 503.
import { describe, expect, it } from "vitest";
import { DatabaseUnavailableError } from "../../../src/db/health.ts";
import { toHttp } from "../../../src/http/app.ts";

describe("the error map", () => {
  it("gives each class its status, and only an unavailable database a 503", () => {
    const httpError = (status: number, type: string) =>
      Object.assign(new Error("x"), { status, type });
    expect(toHttp(httpError(415, "charset.unsupported")).status).toBe(415);
    expect(toHttp(httpError(415, "encoding.unsupported")).status).toBe(415);
    expect(toHttp(httpError(413, "entity.too.large")).status).toBe(413);
    const uriError = Object.assign(new URIError("Failed to decode param '%zzsecret'"), {
      status: 400,
    });
    expect(toHttp(uriError)).toEqual({ status: 400, message: "bad request" });
    expect(toHttp(new DatabaseUnavailableError()).status).toBe(503);
    expect(toHttp(Object.assign(new Error("reset"), { code: "ECONNRESET" })).status).toBe(503);
    expect(toHttp(Object.assign(new Error("x"), { code: "CONNECTION_CLOSED" })).status).toBe(503);
    const shutdown = Object.assign(new Error("terminating"), { code: "57P01" });
    expect(toHttp(new Error("Failed query", { cause: shutdown })).status).toBe(503);
    expect(toHttp(new Error("PGlite is closed")).status).toBe(503);
    expect(toHttp(Object.assign(new Error("bad value"), { code: "22008" })).status).toBe(422);
    expect(toHttp(new TypeError("a bug")).status).toBe(500);
  });
});
