// files.* of the fake Slack: the external upload as Slack documents it. files.getUploadURLExternal
// (filename, length: required) answers an upload_url on this fake and a file id; the bytes are
// POSTed to that URL (raw, or multipart form: Slack takes both; slack.ts serves it); then
// files.completeUploadExternal (files: [{id, title}], channel_id, initial_comment) shares them in
// the channel as one message. Both methods need the files:write scope: without it they answer
// missing_scope with `needed` and `provided`, as Slack does.
// https://docs.slack.dev/reference/methods/files.getUploadURLExternal
// https://docs.slack.dev/reference/methods/files.completeUploadExternal
import {
  type ApiAnswer,
  type Call,
  channelProblem,
  fail,
  type Handler,
  ok,
  str,
} from "./slack-answer.ts";
import { BOT_ID, BOT_USER_ID, type SlackState } from "./slack-state.ts";

/** A file on its way: asked for, then uploaded, then shared. */
export interface FakeUpload {
  id: string;
  filename: string;
  /** What getUploadURLExternal announced. */
  length: number;
  altTxt?: string;
  /** The bytes POSTed to the upload URL. */
  data?: Buffer;
  shared: boolean;
}

/** One files.completeUploadExternal: the message it made and the files it carried. */
export interface FakeShare {
  channel: string;
  ts: string;
  initialComment?: string;
  files: { id: string; title?: string; filename: string; data: Buffer }[];
  at: number;
}

function scopeProblem(state: SlackState, scope: string): ApiAnswer | undefined {
  if (state.scopes.has(scope)) return undefined;
  return fail("missing_scope", { needed: scope, provided: [...state.scopes].join(",") });
}

const getUploadURLExternal: Handler = ({ state, params }: Call) => {
  const refused = scopeProblem(state, "files:write");
  if (refused) return refused;
  const filename = str(params.filename);
  const length = Number(str(params.length));
  if (!filename || !Number.isInteger(length) || length <= 0) return fail("missing_argument");
  const id = `F0${String(state.uploads.size + 1).padStart(8, "0")}`;
  state.uploads.set(id, {
    id,
    filename,
    length,
    ...(str(params.alt_txt) ? { altTxt: str(params.alt_txt) } : {}),
    shared: false,
  });
  return ok({ upload_url: `${state.baseUrl}/upload/v1/${id}`, file_id: id });
};

function filesOf(value: unknown): { id?: unknown; title?: unknown }[] | undefined {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return Array.isArray(parsed) ? parsed : undefined;
}

const completeUploadExternal: Handler = ({ state, params }: Call) => {
  const refused = scopeProblem(state, "files:write");
  if (refused) return refused;
  const list = filesOf(params.files);
  if (!list || list.length === 0) return fail("invalid_arguments");
  const files: FakeShare["files"] = [];
  for (const f of list) {
    const upload = state.uploads.get(String(f.id));
    // A file whose bytes never reached the upload URL cannot be completed.
    if (!upload?.data || upload.shared) return fail("file_not_found");
    files.push({
      id: upload.id,
      ...(typeof f.title === "string" ? { title: f.title } : {}),
      filename: upload.filename,
      data: upload.data,
    });
  }
  const channel = str(params.channel_id);
  for (const f of files) (state.uploads.get(f.id) as FakeUpload).shared = true;
  if (channel === undefined) return ok({ files: files.map((f) => ({ id: f.id, title: f.title })) });
  const problem = channelProblem(state, channel, "member");
  if (problem) return problem;
  const comment = str(params.initial_comment);
  const ts = state.nextTs();
  state.insert({
    type: "message",
    channel,
    ts,
    user: BOT_USER_ID,
    bot_id: BOT_ID,
    text: comment ?? "",
    reactions: [],
    files: files.map((f) => ({ id: f.id, name: f.filename, title: f.title })),
  });
  state.shares.push({
    channel,
    ts,
    ...(comment !== undefined ? { initialComment: comment } : {}),
    files,
    at: Date.now(),
  });
  return ok({ files: files.map((f) => ({ id: f.id, title: f.title ?? f.filename })) });
};

/** The bytes POSTed to an upload URL; false when the URL names no pending upload. */
export function receiveUpload(state: SlackState, id: string, data: Buffer): boolean {
  const upload = state.uploads.get(id);
  if (!upload || upload.shared) return false;
  upload.data = data;
  return true;
}

export const FILE_METHODS: Record<string, Handler> = {
  "files.getUploadURLExternal": getUploadURLExternal,
  "files.completeUploadExternal": completeUploadExternal,
};
