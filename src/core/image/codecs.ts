/**
 * The image codecs: PNG, JPEG and WebP decoding and encoding by the Squoosh codecs compiled to WebAssembly
 * (@jsquash/png, @jsquash/jpeg, @jsquash/webp), and resampling by pica (nodeca's resizer: a small WebAssembly
 * convolver, JavaScript where WebAssembly is missing). Both run in every extension host with one universal .vsix (no
 * per-platform native binary), and none of this is hand-written: this file only loads the modules and passes pixels
 * in and out.
 *
 * Why pica and not the Squoosh resizer (@jsquash/resize, used before): the same Lanczos3 filter (the outputs agree to
 * 51 dB PSNR) in half the time (2048² → 1024²: 171 ms against 336 ms on a first call, 92 against 185 ms later;
 * BENCHMARKS.md).
 *
 * Loading: each codec is compiled on its first use, from its .wasm file read with `fs` (the libraries would fetch
 * it from a URL, which Node's extension host cannot do for a file). The bundles ship the .wasm files in dist/wasm/
 * (esbuild.mjs); from the sources (tests, tsx) they are read from node_modules. Nothing runs at activation: the
 * whole file is a separate bundle (dist/image.js) required by src/core/image/loadCodecs.ts on first need.
 */
import { readFileSync, existsSync } from 'node:fs';
import * as path from 'node:path';
import pngInit, { decode as pngDecodeRaw, encode as pngEncodeRaw } from '@jsquash/png/codec/pkg/squoosh_png.js';
import jpegDecFactory from '@jsquash/jpeg/codec/dec/mozjpeg_dec.js';
import jpegEncFactory from '@jsquash/jpeg/codec/enc/mozjpeg_enc.js';
import webpDecFactory from '@jsquash/webp/codec/dec/webp_dec.js';
import webpEncFactory from '@jsquash/webp/codec/enc/webp_enc.js';
import webpEncSimdFactory from '@jsquash/webp/codec/enc/webp_enc_simd.js';
import { defaultOptions as jpegDefaults } from '@jsquash/jpeg/meta.js';
import { defaultOptions as webpDefaults } from '@jsquash/webp/meta.js';
import createPica from 'pica/pica_main';
import type { RgbaImage } from './pixels';

/** Where each .wasm file is: its name in dist/wasm/, and its place in node_modules for runs from the sources. */
export const WASM_FILES = {
  png: '@jsquash/png/codec/pkg/squoosh_png_bg.wasm',
  jpegDec: '@jsquash/jpeg/codec/dec/mozjpeg_dec.wasm',
  jpegEnc: '@jsquash/jpeg/codec/enc/mozjpeg_enc.wasm',
  webpDec: '@jsquash/webp/codec/dec/webp_dec.wasm',
  webpEnc: '@jsquash/webp/codec/enc/webp_enc.wasm',
  webpEncSimd: '@jsquash/webp/codec/enc/webp_enc_simd.wasm',
} as const;
type WasmName = keyof typeof WASM_FILES;

/** The .wasm beside the bundle (dist/wasm/<file>), else in the nearest node_modules above this file. */
function wasmPath(name: WasmName): string {
  const relative = WASM_FILES[name];
  const beside = path.join(__dirname, 'wasm', path.basename(relative));
  if (existsSync(beside)) return beside;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', relative);
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`The image codec file ${path.basename(relative)} is missing from the installation.`);
}

const compiled = new Map<WasmName, Promise<WebAssembly.Module>>();
function wasmModule(name: WasmName): Promise<WebAssembly.Module> {
  let found = compiled.get(name);
  if (!found) {
    found = WebAssembly.compile(readFileSync(wasmPath(name)));
    compiled.set(name, found);
  }
  return found;
}

/**
 * Emscripten's decoders build their result with `new ImageData(...)` looked up on the global object, which Node
 * does not have; the libraries themselves install this same minimal class in Node (squoosh_png.js), so it is
 * installed here too, only when absent, before any decoder runs.
 */
function ensureImageData(): void {
  const g = globalThis as { ImageData?: unknown };
  if (g.ImageData) return;
  g.ImageData = class ImageData {
    constructor(
      readonly data: Uint8ClampedArray,
      readonly width: number,
      readonly height: number,
    ) {}
  };
}

type EmscriptenFactory<T> = (options: Record<string, unknown>) => Promise<T>;

/** An Emscripten module with its compiled wasm handed in, so it never looks for a URL. */
async function emscripten<T>(factory: EmscriptenFactory<T>, name: WasmName): Promise<T> {
  ensureImageData();
  const module = await wasmModule(name);
  return factory({
    noInitialRun: true,
    locateFile: (file: string) => file,
    instantiateWasm: (imports: WebAssembly.Imports, callback: (instance: WebAssembly.Instance) => void) => {
      const instance = new WebAssembly.Instance(module, imports);
      callback(instance);
      return instance.exports;
    },
  });
}

/** Each codec is instantiated once, on first use. */
function once<T>(make: () => Promise<T>): () => Promise<T> {
  let value: Promise<T> | undefined;
  return () => {
    value ??= make().catch((err: unknown) => {
      value = undefined;
      throw err;
    });
    return value;
  };
}

interface DecoderModule {
  decode(data: Uint8Array, ...rest: unknown[]): { data: Uint8ClampedArray; width: number; height: number } | null;
}
interface EncoderModule {
  encode(data: Uint8Array, width: number, height: number, options: unknown): Uint8Array | null;
}

const png = once(async () => {
  ensureImageData();
  await pngInit(await wasmModule('png'));
});
// pica's own small WebAssembly convolver where WebAssembly runs (every extension host), its JavaScript one otherwise;
// no canvas, worker or createImageBitmap in Node. 2048² → 1024², first call / later calls: 171 / 92 ms against
// 159 / 133 ms for the JavaScript one (BENCHMARKS.md); the memory it keeps is the same within 2 MiB.
const resizer = once(async () => createPica({ features: ['js', 'wasm'] }));
const jpegDecoder = once(() => emscripten(jpegDecFactory as unknown as EmscriptenFactory<DecoderModule>, 'jpegDec'));
const jpegEncoder = once(() => emscripten(jpegEncFactory as unknown as EmscriptenFactory<EncoderModule>, 'jpegEnc'));
const webpDecoder = once(() => emscripten(webpDecFactory as unknown as EmscriptenFactory<DecoderModule>, 'webpDec'));
const webpEncoder = once(async () => {
  // Every Node that runs VS Code 1.96+ has WebAssembly SIMD; the plain build stays as the fallback.
  const simd = WebAssembly.validate(SIMD_PROBE);
  return simd
    ? emscripten(webpEncSimdFactory as unknown as EmscriptenFactory<EncoderModule>, 'webpEncSimd')
    : emscripten(webpEncFactory as unknown as EmscriptenFactory<EncoderModule>, 'webpEnc');
});

/** The smallest module using a SIMD instruction (the probe wasm-feature-detect uses for `simd`). */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0, 65, 0, 253, 15, 253, 98, 11,
]);

function rgba(image: { data: ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }; width: number; height: number }): RgbaImage {
  return { width: image.width, height: image.height, data: new Uint8Array(image.data.buffer, image.data.byteOffset, image.data.byteLength) };
}

export type CodecFormat = 'png' | 'jpeg' | 'webp';

/** Bytes → RGBA, 8 bits per channel. Throws when the bytes are not a valid image of that format. */
export async function decode(bytes: Uint8Array, format: CodecFormat): Promise<RgbaImage> {
  if (format === 'png') {
    await png();
    return rgba(pngDecodeRaw(bytes));
  }
  const module = format === 'jpeg' ? await jpegDecoder() : await webpDecoder();
  const result = format === 'jpeg' ? module.decode(bytes, false) : module.decode(bytes);
  if (!result) throw new Error(`The ${format === 'jpeg' ? 'JPEG' : 'WebP'} image could not be decoded.`);
  return rgba(result);
}

/** RGBA → bytes. `quality` (1–100) applies to JPEG and WebP; PNG is lossless. */
export async function encode(image: RgbaImage, format: CodecFormat, quality: number): Promise<Uint8Array> {
  if (format === 'png') {
    await png();
    return new Uint8Array(pngEncodeRaw(image.data, image.width, image.height, 8));
  }
  const module = format === 'jpeg' ? await jpegEncoder() : await webpEncoder();
  const options = format === 'jpeg' ? { ...jpegDefaults, quality, chroma_quality: quality } : { ...webpDefaults, quality };
  const result = module.encode(image.data, image.width, image.height, options);
  if (!result) throw new Error(`The ${format === 'jpeg' ? 'JPEG' : 'WebP'} encoder failed.`);
  return new Uint8Array(result);
}

/**
 * Resamples to exactly `width`×`height`: Lanczos3 on the sRGB values (as sharp and cwebp do), weighted by alpha so
 * transparent edges do not darken (pica weights colours by alpha whenever a pixel is not opaque). Resampling in
 * linear light took twice the time (BENCHMARKS.md) for a difference invisible in illustrations.
 */
export async function resize(image: RgbaImage, width: number, height: number): Promise<RgbaImage> {
  if (image.width === width && image.height === height) return image;
  const pica = await resizer();
  // pica's WebAssembly path copies the source from the start of its buffer, so a view into a larger buffer (what a
  // decoder may hand back) is copied out first.
  const whole = image.data.byteOffset === 0 && image.data.buffer.byteLength === image.data.byteLength;
  const src = whole ? image.data : image.data.slice();
  const out = await pica.resizeBuffer({ src, width: image.width, height: image.height, toWidth: width, toHeight: height, filter: 'lanczos3' });
  return { width, height, data: new Uint8Array(out.buffer, out.byteOffset, out.byteLength) };
}
