// A PNG read as a decoder would: the signature, every chunk's CRC, IHDR, the image data inflated
// to exactly one filtered row per line (each starting with a filter type 0…4). Enough to say
// the bytes are a PNG image of that size, without trusting the library that wrote them.
// https://www.w3.org/TR/png-3/#5Chunk-layout
import { crc32, inflateSync } from "node:zlib";

export interface DecodedPng {
  width: number;
  height: number;
  /** Bytes per pixel (8-bit RGB: 3, RGBA: 4, grey: 1, grey+alpha: 2). */
  channels: number;
}

const SIGNATURE = Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]);

export function decodePng(data: Uint8Array): DecodedPng {
  const buf = Buffer.from(data);
  if (!buf.subarray(0, 8).equals(SIGNATURE)) throw new Error("not a PNG: bad signature");
  let at = 8;
  let header: { width: number; height: number; depth: number; color: number } | undefined;
  const idat: Buffer[] = [];
  let ended = false;
  while (at < buf.length) {
    const length = buf.readUInt32BE(at);
    const type = buf.toString("latin1", at + 4, at + 8);
    const body = buf.subarray(at + 8, at + 8 + length);
    const crc = buf.readUInt32BE(at + 8 + length);
    if (crc32(buf.subarray(at + 4, at + 8 + length)) !== crc) throw new Error(`bad CRC in ${type}`);
    if (type === "IHDR")
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        depth: body[8] ?? 0,
        color: body[9] ?? 0,
      };
    if (type === "IDAT") idat.push(body);
    if (type === "IEND") {
      ended = true;
      break;
    }
    at += 12 + length;
  }
  if (!header || !ended) throw new Error("not a PNG: no IHDR or IEND");
  if (header.depth !== 8) throw new Error(`unexpected bit depth ${header.depth}`);
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[header.color];
  if (!channels) throw new Error(`unexpected colour type ${header.color}`);
  const pixels = inflateSync(Buffer.concat(idat));
  const stride = 1 + header.width * channels;
  if (pixels.length !== stride * header.height)
    throw new Error(`image data of ${pixels.length} bytes, not ${stride * header.height}`);
  for (let y = 0; y < header.height; y++)
    if ((pixels[y * stride] ?? 9) > 4) throw new Error(`row ${y}: bad filter type`);
  return { width: header.width, height: header.height, channels };
}
