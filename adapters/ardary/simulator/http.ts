// The simulator's HTTP face: the Ardary API (`/api/sendSms`, `/api/addContact`), the short
// links (`/l/<code>`), and a control API (`/_sim/…`) for the `simulate` CLI command.
import express, { type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { errorMessage } from "../../../src/kernel/errors.ts";
import type { SimFault, SimRequest, SimSms, SimulatorState } from "./state.ts";

/** What the routes need from the running simulator. */
export interface SimulatorCore {
  state: SimulatorState;
  callbackUrl(): string | undefined;
  setCallbackUrl(url: string | undefined): void;
  /** Schedules the status callbacks of SMS just accepted in prod mode. */
  accepted(sms: SimSms[]): void;
  /** Sends the click callback of a short link that was followed. */
  clicked(sms: SimSms): void;
  inbound(from: string, text: string, date?: Date): Promise<number>;
  call(phone: string, date?: Date): Promise<number>;
  /** Resolves after `ms` (or when the simulator closes). */
  wait(ms: number): Promise<void>;
}

const count = {
  count: z.number().int().positive().optional(),
  untilMs: z.number().positive().optional(),
  skip: z.number().int().nonnegative().optional(),
};
const faultSchema: z.ZodType<SimFault> = z.union([
  z.object({
    status: z.union([
      z.literal(500),
      z.literal(503),
      z.literal(429),
      z.literal(401),
      z.literal(403),
    ]),
    retryAfterSec: z.number().int().nonnegative().optional(),
    ...count,
  }),
  z.object({ delayMs: z.number().nonnegative(), ...count }),
  z.object({ drop: z.literal(true), ...count }),
  z.object({
    answer: z.unknown().refine((v) => v !== undefined, "answer is required"),
    httpStatus: z.number().int().min(100).max(599).optional(),
    ...count,
  }),
]);
const dateField = z.iso
  .datetime({ offset: true })
  .transform((s) => new Date(s))
  .optional();
const inboundSchema = z.object({ from: z.string().min(1), text: z.string(), date: dateField });
const callSchema = z.object({ phone: z.string().min(1), date: dateField });
const urlSchema = z.object({ url: z.url().nullable() });
const phoneSchema = z.object({ phone: z.string().min(1) });

function body<T>(schema: z.ZodType<T>, req: Request): T {
  const parsed = schema.safeParse(req.body ?? {});
  if (!parsed.success)
    throw Object.assign(new Error(z.prettifyError(parsed.error)), { status: 400 });
  return parsed.data;
}

export function createSimulatorApp(core: SimulatorCore): express.Express {
  const { state } = core;
  const app = express();
  app.disable("x-powered-by");

  app.post(
    "/api/:endpoint",
    express.text({ type: () => true, limit: "10mb" }),
    async (req, res) => {
      const endpoint = req.params.endpoint;
      if (endpoint !== "sendSms" && endpoint !== "addContact") {
        res.status(404).json({ error: `unknown endpoint ${endpoint}` });
        return;
      }
      const raw = typeof req.body === "string" ? req.body : "";
      let parsed: unknown = {};
      let json = true;
      try {
        if (raw.trim() !== "") parsed = JSON.parse(raw);
      } catch {
        parsed = raw;
        json = false;
      }
      const fault = state.takeFault();
      const kind = !fault
        ? undefined
        : "status" in fault
          ? "status"
          : "delayMs" in fault
            ? "delay"
            : "drop" in fault
              ? "drop"
              : "answer";
      const record: SimRequest = {
        endpoint,
        body: parsed,
        at: new Date(),
        ...(kind ? { fault: kind } : {}),
      };
      state.requests.push(record);

      if (fault && "drop" in fault) {
        req.socket.destroy();
        return;
      }
      if (fault && "status" in fault) {
        if (fault.retryAfterSec !== undefined) res.set("Retry-After", String(fault.retryAfterSec));
        res.status(fault.status).json({ error: `simulated HTTP ${fault.status}` });
        return;
      }
      if (fault && "answer" in fault) {
        res.status(fault.httpStatus ?? 200);
        if (typeof fault.answer === "string") res.type("text/html").send(fault.answer);
        else res.json(fault.answer);
        return;
      }
      if (fault && "delayMs" in fault) await core.wait(fault.delayMs);

      if (!json) {
        res.status(400).json({ error: "the body is not JSON" });
        return;
      }
      if (endpoint === "addContact") {
        const answer = state.addContact(parsed);
        if (answer === null) res.status(401).json({ error: "authentication failed" });
        else res.json(answer);
        return;
      }
      const { answer, accepted, problems } = state.sendSms(parsed);
      if (problems.length > 0) record.problems = problems;
      res.json(answer);
      core.accepted(accepted);
    },
  );

  app.get("/l/:code", (req, res) => {
    const sms = state.links.get(req.params.code);
    if (!sms?.url) {
      res.status(404).type("text/plain").send("unknown link");
      return;
    }
    res.redirect(302, sms.url);
    core.clicked(sms);
  });

  const control = express.Router();
  control.use(express.json());
  control.post("/inbound", async (req, res) => {
    const b = body(inboundSchema, req);
    res.json({ status: await core.inbound(b.from, b.text, b.date) });
  });
  control.post("/call", async (req, res) => {
    const b = body(callSchema, req);
    res.json({ status: await core.call(b.phone, b.date) });
  });
  control.post("/fault", (req, res) => {
    state.addFault(body(faultSchema, req));
    res.status(204).end();
  });
  control.delete("/fault", (_req, res) => {
    state.clearFaults();
    res.status(204).end();
  });
  control.post("/callback-url", (req, res) => {
    core.setCallbackUrl(body(urlSchema, req).url ?? undefined);
    res.status(204).end();
  });
  control.post("/opt-out", (req, res) => {
    state.optOut(body(phoneSchema, req).phone);
    res.status(204).end();
  });
  control.get("/state", (_req, res) => {
    const { requests, sent, callbacks, contacts } = state;
    res.json({ callbackUrl: core.callbackUrl() ?? null, requests, sent, callbacks, contacts });
  });
  app.use("/_sim", control);

  // One error → HTTP mapping for the simulator: 400 for bad control bodies, 502 otherwise.
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = (err as { status?: unknown }).status;
    res
      .status(typeof status === "number" && status < 500 ? status : 502)
      .json({ error: errorMessage(err) });
  });
  return app;
}
