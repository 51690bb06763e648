// Just enough PNG for Chromium's screenshots (test/support/png.ts checks a PNG strictly): read one (8-bit RGB or RGBA, not interlaced) into
// pixels, tell whether it shows anything, crop it to what it shows, write it back.
// https://www.w3.org/TR/png/
import { deflateSync, inflateSync } from "node:zlib";

export interface Image {
  width: number;
  height: number;
  /** RGBA, 4 bytes a pixel, row after row. */
  pixels: Buffer;
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function decodePng(file: Buffer): Image {
  if (!file.subarray(0, 8).equals(SIGNATURE)) throw new Error("not a PNG");
  let width = 0;
  let height = 0;
  let channels = 0;
  const data: Buffer[] = [];
  for (let at = 8; at < file.length; ) {
    const length = file.readUInt32BE(at);
    const type = file.toString("latin1", at + 4, at + 8);
    const body = file.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      const [depth, color, , , interlace] = [body[8], body[9], body[10], body[11], body[12]];
      if (depth !== 8 || (color !== 2 && color !== 6) || interlace !== 0)
        throw new Error(`PNG kind not read here (depth ${depth}, color ${color})`);
      channels = color === 6 ? 4 : 3;
    } else if (type === "IDAT") data.push(body);
    else if (type === "IEND") break;
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(data));
  const stride = width * channels;
  const rows = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? (rows[y * stride + x - channels] ?? 0) : 0;
      const b = y > 0 ? (rows[(y - 1) * stride + x] ?? 0) : 0;
      const c = x >= channels && y > 0 ? (rows[(y - 1) * stride + x - channels] ?? 0) : 0;
      const v = line[x] ?? 0;
      const p = a + b - c;
      const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
      const paeth = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      const predicted = [0, a, b, (a + b) >> 1, paeth][filter ?? 0] ?? 0;
      rows[y * stride + x] = (v + predicted) & 0xff;
    }
  }
  const pixels = Buffer.alloc(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    for (let k = 0; k < 3; k++) pixels[i * 4 + k] = rows[i * channels + k] ?? 0;
    pixels[i * 4 + 3] = channels === 4 ? (rows[i * channels + 3] ?? 255) : 255;
  }
  return { width, height, pixels };
}

/** The colour most pixels have (the background), and how many pixels are not it. */
export function inkOf(img: Image): { background: number; ink: number; colours: number } {
  const counts = new Map<number, number>();
  for (let i = 0; i < img.width * img.height; i++) {
    const c = img.pixels.readUInt32BE(i * 4);
    counts.set(c, (counts.get(c) ?? 0) + 1);
  }
  const [background, most] = [...counts].sort((x, y) => y[1] - x[1])[0] ?? [0, 0];
  return { background, ink: img.width * img.height - most, colours: counts.size };
}

/** The image cut below its last row that is not all background, with `margin` rows kept. */
export function cropBottom(img: Image, margin = 16): Image {
  const { background } = inkOf(img);
  let last = 0;
  for (let y = 0; y < img.height; y++)
    for (let x = 0; x < img.width; x++)
      if (img.pixels.readUInt32BE((y * img.width + x) * 4) !== background) {
        last = y;
        break;
      }
  const height = Math.min(img.height, last + 1 + margin);
  return { width: img.width, height, pixels: img.pixels.subarray(0, img.width * height * 4) };
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), body])), 0);
  return Buffer.concat([head, body, crc]);
}

/** An RGB PNG of the image (alpha dropped: screenshots are opaque). */
export function encodePng(img: Image): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(img.width, 0);
  ihdr.writeUInt32BE(img.height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((img.width * 3 + 1) * img.height);
  for (let y = 0; y < img.height; y++) {
    // Filter "up" per row: what screenshots of text compress best with, simply.
    raw[y * (img.width * 3 + 1)] = 2;
    for (let x = 0; x < img.width * 3; x++) {
      const i = (y * img.width + Math.floor(x / 3)) * 4 + (x % 3);
      const above =
        y > 0 ? (img.pixels[((y - 1) * img.width + Math.floor(x / 3)) * 4 + (x % 3)] ?? 0) : 0;
      raw[y * (img.width * 3 + 1) + 1 + x] = ((img.pixels[i] ?? 0) - above) & 0xff;
    }
  }
  return Buffer.concat([
    SIGNATURE,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
