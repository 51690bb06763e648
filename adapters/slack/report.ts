// The digest in a Slack channel (ChatAdapter.postReport): its words and its chart in one message,
// by Slack's external upload: files.getUploadURLExternal (filename, length) gives an upload_url
// and a file id, the bytes are POSTed to that URL, then files.completeUploadExternal shares the
// files in the channel (channel_id) with the words as initial_comment. An app without the
// files:write scope (or a workspace that forbids uploads) gets the words alone, by
// chat.postMessage, and the log says what to add. checkChannel asks conversations.info.
// https://docs.slack.dev/reference/methods/files.getUploadURLExternal
// https://docs.slack.dev/reference/methods/files.completeUploadExternal
import type { ChannelReport, ReportPosted } from "../../src/contracts/index.ts";
import { errorMessage, RetryableError } from "../../src/kernel/errors.ts";
import type { createSlackApi } from "./api.ts";
import { slackErrorCode } from "./refusals.ts";

type SlackApi = ReturnType<typeof createSlackApi>;

/**
 * Refusals of an upload that the words alone get past, with what to change. A channel the bot
 * cannot use (channel_not_found, not_in_channel) is no such refusal: the words would fail too.
 */
function uploadRefusal(err: unknown): string | undefined {
  const cause = (err as { cause?: unknown }).cause ?? err;
  const code = slackErrorCode(cause);
  const needed = (cause as { data?: { needed?: string } }).data?.needed;
  switch (code) {
    case "missing_scope":
      return `Slack refused the upload (missing_scope): add the ${needed ?? "files:write"} scope to the Slack app (adapters/slack/manifest.yml) and reinstall it`;
    case "not_allowed_token_type":
    case "access_denied":
    case "file_uploads_disabled":
    case "file_uploads_except_images_disabled":
    case "file_type_not_allowed":
      return `Slack refused the upload (${code}): the workspace's file settings must allow the app to upload images`;
    default:
      return undefined;
  }
}

export function slackReports(api: SlackApi) {
  async function postWords(channel: string, text: string): Promise<void> {
    await api.call(
      channel,
      "chat.postMessage",
      (c) => c.chat.postMessage({ channel, text, unfurl_links: false, unfurl_media: false }),
      true,
    );
  }

  /** Uploads the images; returns the files to share. */
  async function upload(channel: string, report: ChannelReport) {
    const files: { id: string; title: string }[] = [];
    for (const image of report.images) {
      const got = (await api.call(channel, "files.getUploadURLExternal", (c) =>
        c.apiCall("files.getUploadURLExternal", {
          filename: image.filename,
          length: image.data.byteLength,
          alt_txt: image.title,
        }),
      )) as { upload_url?: string; file_id?: string };
      if (!got.upload_url || !got.file_id)
        throw new RetryableError("slack_upload", "Slack gave no upload_url");
      const res = await fetch(got.upload_url, {
        method: "POST",
        headers: { "content-type": "application/octet-stream" },
        body: new Blob([new Uint8Array(image.data)]),
        signal: AbortSignal.timeout(30_000),
      }).catch((err) => {
        throw new RetryableError("slack_upload", `Slack upload: ${errorMessage(err)}`);
      });
      if (!res.ok)
        throw new RetryableError("slack_upload", `Slack upload answered HTTP ${res.status}`);
      files.push({ id: got.file_id, title: image.title });
    }
    return files;
  }

  return {
    async postReport(channel: string, report: ChannelReport): Promise<ReportPosted> {
      if (report.images.length === 0) {
        await postWords(channel, report.text);
        return {};
      }
      try {
        const files = await upload(channel, report);
        await api.call(
          channel,
          "files.completeUploadExternal",
          (c) =>
            c.apiCall("files.completeUploadExternal", {
              files,
              channel_id: channel,
              initial_comment: report.text,
            }),
          true,
        );
        return {};
      } catch (err) {
        const refused = uploadRefusal(err);
        if (!refused) throw err;
        await postWords(channel, report.text);
        return { imagesRefused: refused };
      }
    },

    async checkChannel(channel: string): Promise<string[]> {
      let info: Awaited<ReturnType<SlackApi["client"]["conversations"]["info"]>>;
      try {
        info = await api.client.conversations.info({ channel });
      } catch (err) {
        const code = slackErrorCode(err);
        if (code === "channel_not_found")
          return [
            `Slack has no channel ${channel} the bot can see: check the id, and invite the bot if the channel is private`,
          ];
        if (code) return [`Slack refused to read ${channel} (${code})`];
        throw err;
      }
      const problems: string[] = [];
      const ch = info.channel;
      if (ch?.is_archived) problems.push(`the Slack channel ${channel} is archived`);
      else if (ch?.is_private && !ch.is_member)
        problems.push(`the bot is not in the private channel ${channel}: invite it (/invite)`);
      const scopes = info.response_metadata?.scopes;
      if (scopes && !scopes.includes("files:write"))
        problems.push(
          "the Slack app lacks the files:write scope: the digest goes without its chart until it is added (adapters/slack/manifest.yml) and the app reinstalled",
        );
      return problems;
    },
  };
}
