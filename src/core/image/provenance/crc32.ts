/**
 * CRC-32 (ISO 3309, the polynomial PNG chunks are checked with). Written here rather than taken from a package:
 * the PNG chunk packages on npm (png-chunks-extract/-encode 1.0.0, 2016) allocate whatever length a chunk
 * declares and read past the end of a short file, which a hostile file can exploit; the checksum is the only part
 * we would have kept from them.
 */
const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The CRC-32 of `parts` taken as one byte string. */
export function crc32(...parts: Uint8Array[]): number {
  let c = 0xffffffff;
  for (const part of parts) for (let i = 0; i < part.length; i++) c = TABLE[(c ^ part[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
