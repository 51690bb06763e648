// The digest in a Discord channel (ChatAdapter.postReport): one message with its words and the
// chart attached (multipart/form-data: `payload_json` with `attachments: [{ id: 0, filename }]`
// and the bytes as `files[0]`); in a forum, a new post carrying that message. The form is
// written here, byte for byte as Discord's docs show it, and passed through: @discordjs/rest's
// own FormData is a different undici's than the one that sends it, which refuses it ("action is
// not a function"). A bot without the
// Attach Files permission there (403, 50013 Missing Permissions) posts the words alone, and the
// log says which permission to give. checkChannel reads the channel.
// https://discord.com/developers/docs/reference#uploading-files
// https://discord.com/developers/docs/resources/message#create-message
import { randomUUID } from "node:crypto";
import {
  type APIChannel,
  ChannelType,
  DiscordAPIError,
  RESTJSONErrorCodes,
  Routes,
} from "discord.js";
import type { ChannelReport, ReportPosted } from "../../src/contracts/index.ts";
import type { RestCalls } from "./pace.ts";
import { NO_MENTIONS } from "./render.ts";
import { discordCall } from "./rest.ts";

/** Discord's limit on a message's content. */
const MAX_CONTENT = 2000;

function isMissingPermissions(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause ?? err;
  return cause instanceof DiscordAPIError && cause.code === RESTJSONErrorCodes.MissingPermissions;
}

/** multipart/form-data of `payload_json` and `files[n]` (PNG), as Discord's docs write it. */
export function multipart(
  payload: object,
  images: ChannelReport["images"],
): { body: Buffer; type: string } {
  const boundary = `ardary-${randomUUID()}`;
  const part = (headers: string[], data: Buffer | Uint8Array) => [
    Buffer.from(`--${boundary}\r\n${headers.join("\r\n")}\r\n\r\n`),
    Buffer.from(data),
    Buffer.from("\r\n"),
  ];
  const parts = [
    ...part(
      ['Content-Disposition: form-data; name="payload_json"', "Content-Type: application/json"],
      Buffer.from(JSON.stringify(payload)),
    ),
    ...images.flatMap((image, i) =>
      part(
        [
          `Content-Disposition: form-data; name="files[${i}]"; filename="${image.filename.replace(/["\\\r\n]/g, "_")}"`,
          "Content-Type: image/png",
        ],
        image.data,
      ),
    ),
    Buffer.from(`--${boundary}--\r\n`),
  ];
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

export function discordReports(rest: RestCalls, channelInfo: (id: string) => Promise<APIChannel>) {
  /** The message's route: the channel, or a new post in a forum (named after the report). */
  async function send(
    channel: string,
    content: string,
    report: ChannelReport,
    withImages: boolean,
  ) {
    const images = withImages ? report.images : [];
    const message = {
      content,
      allowed_mentions: NO_MENTIONS,
      ...(images.length > 0
        ? {
            attachments: images.map((image, i) => ({
              id: i,
              filename: image.filename,
              description: image.title,
            })),
          }
        : {}),
    };
    const parent = await channelInfo(channel);
    const forum = parent.type === ChannelType.GuildForum;
    const name = (content.split("\n")[0] ?? "SMS report").replace(/^\W+/, "").slice(0, 100);
    const payload = forum ? { name, message } : message;
    const route = forum ? Routes.threads(channel) : Routes.channelMessages(channel);
    const form = multipart(payload, images);
    await discordCall("post the report", () =>
      rest.post(route, {
        body: form.body,
        passThroughBody: true,
        headers: { "Content-Type": form.type },
      }),
    );
  }

  return {
    async postReport(channel: string, report: ChannelReport): Promise<ReportPosted> {
      const content =
        report.text.length > MAX_CONTENT
          ? `${report.text.slice(0, MAX_CONTENT - 1)}…`
          : report.text;
      try {
        await send(channel, content, report, report.images.length > 0);
        return {};
      } catch (err) {
        if (report.images.length === 0 || !isMissingPermissions(err)) throw err;
        await send(channel, content, report, false);
        return {
          imagesRefused:
            "Discord refused the attachment (50013 Missing Permissions): give the bot the Attach Files permission in that channel",
        };
      }
    },

    async checkChannel(channel: string): Promise<string[]> {
      let info: APIChannel;
      try {
        info = await channelInfo(channel);
      } catch (err) {
        return [
          `Discord will not show the bot channel ${channel} (${(err as Error).message}): check the id and the bot's access to it`,
        ];
      }
      const postable = [
        ChannelType.GuildText,
        ChannelType.GuildAnnouncement,
        ChannelType.GuildForum,
      ] as number[];
      return postable.includes(info.type)
        ? []
        : [`Discord channel ${channel} is not a text, announcement or forum channel`];
    },
  };
}
