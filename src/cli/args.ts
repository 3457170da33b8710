/** The command line and the prompt: flags parsed strictly, numbers checked, the prompt read from a flag, a file or stdin. */
import { readFile, stat } from 'node:fs/promises';
import * as path from 'node:path';
import { addAbortSignal, type Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { parseOutputFormat, type UserSettings } from '../core/config/config';
import { parseAspect, parseSize, sizeForAspect } from '../core/image/fit';
import { MAX_PROMPT_BYTES, NAME, UsageError, type CliIo } from './contract';
import { formatFromOutput } from './files';

declare const __EXTENSION_VERSION__: string;

export const HELP = `Usage: ${NAME} --prompt "a cute squirrel" [--output out/squirrel.png] [options]

Generates an image through an OpenAI-compatible gateway (POST <base>/v1/responses with a text model
and the image_generation tool) and saves it. Prints the saved path.
To fill every empty image link of markdown files instead: ${NAME} fill <file.md|folder>… (see fill --help).
To write alt text for the images of markdown files that have none: ${NAME} alt <file.md>… (see alt --help).

Prompt (one of):
  -p, --prompt <text>         the prompt; "-" reads it from standard input
      --prompt-file <path>    read the prompt from a file ("-" for standard input)

Output:
  -o, --output <path>         file to write; its extension follows the real image bytes
                              (out/x.png becomes out/x.jpg if the gateway sends a JPEG).
                              A folder (ending in /) gets <slug>.<ext>. Default: <slug>.<ext> here.
      --overwrite             replace an existing file instead of failing (only the file named
                              by --output, never a name the real image type switched to)
      --variants <1-4>        make N candidates in parallel (gateways ignore n): name.png,
                              name-2.png, …; prints every path (default 1)

Request:
      --api <responses|images|auto>  the gateway's route: responses (default; a text model calls
                              the image_generation tool), images (POST /v1/images/generations
                              and /edits with the image model), auto (responses, and the images
                              route once when the gateway shows its tool is unavailable)
  -m, --model <name>          text model (default gpt-5.4; gpt-image-* is refused)
      --image-model <name>    the images route's model (default gpt-image-2)
      --image <file>          an image to edit (PNG, JPEG or WebP; repeat for up to 16)
      --mask <file>           a PNG with the first image's size whose transparent pixels mark
                              where to edit (with --image; either route)
  -f, --format <png|jpeg|webp>  requested output format (default from --output, else png)
      --stream                stream the answer (server-sent events)
      --size <WxH>            e.g. 1024x1024, 1536x1024, auto; also stated in the prompt
                              ("Image size: 1024x1536 (portrait).") unless --no-size-in-prompt
      --aspect <W:H>          a size for this aspect, shorter side 1024 (3:2 is 1536x1024,
                              16:9 is 1824x1024); instead of --size
      --no-size-in-prompt     send the size only as the size field, not in the prompt
      --quality <q>           low, medium, high, auto
      --background <b>        transparent, opaque, auto
      --style <name>          add a style to the prompt: diagram, flat illustration, watercolor,
                              photo, line art (fill: a document's front matter image-style wins)
      --partial-images <0-3>  streamed previews (turns on --stream)
      --timeout <seconds>     per attempt (default 600)
      --max-attempts <n>      requests in all for one image, whatever made them retry: rate
                              limits, server errors, text-only answers (1-20, default 5)
      --total-timeout <seconds>  time for one image in all, attempts and waits (default 900)

Saved image (made locally: gateways often ignore size and output_format):
      --fit <crop|contain|none>  when the real size differs from the one asked: crop (default)
                              scales to cover and cuts the centre, contain scales to fit and
                              pads (transparent, or white for JPEG), none keeps it as sent
      --save-format <original|webp|png|jpeg>  re-encode before saving (default original); the
                              file extension follows it
      --save-quality <1-100>  WebP and JPEG quality (default 80)
      --max-width <px>        scale down to at most this width, keeping the aspect
      --max-height <px>       scale down to at most this height, keeping the aspect
      --no-metadata           write no provenance into the file (by default the prompt, model,
                              date and settings go in PNG iTXt chunks or WebP/JPEG XMP)

Other:
  -v, --verbose               log requests, retries and timing on standard error (never the key)
  -q, --quiet                 no progress lines, only the saved path or the error
  -h, --help                  show this help
      --version               show the version

Configuration comes from the environment and OpenClaw, in this order:
  base URL  IMAGE_GEN_BASE_URL, OTCBOT_BASE_URL, CPA_BASE_URL, OPENAI_BASE_URL, OpenClaw otcbot provider
  API key   IMAGE_GEN_KEY, OTCBOT_API_KEY, CPA_API_KEY, OPENAI_API_KEY, OpenClaw otcbot provider
  model     --model, IMAGE_GEN_MODEL, OTCBOT_IMAGE_MODEL, CPA_MODEL, OpenClaw otcbot default model, gpt-5.4
  route     --api, IMAGE_GEN_API, responses; image model --image-model, IMAGE_GEN_IMAGE_MODEL, gpt-image-2
  format    --format, IMAGE_GEN_OUTPUT_FORMAT, png
  headers   CPA_USER_AGENT, CPA_VERSION, CPA_ORIGINATOR, CPA_SESSION_ID

Progress (phase, partial images, retries and their delay) is shown on standard error while streaming,
when standard error is a terminal, or with --verbose; --quiet turns it off. A failure is always the last
line, prefixed "cpa-gpt-image:". Control characters in what is printed (the gateway's words, file names)
are shown escaped, e.g. \\x1b, so they cannot act on the terminal.
Exit status: 0 saved, 1 failed, 2 usage error, 130 cancelled (Ctrl+C).
`;

export const OPTIONS = {
  prompt: { type: 'string', short: 'p' },
  'prompt-file': { type: 'string' },
  output: { type: 'string', short: 'o' },
  overwrite: { type: 'boolean' },
  variants: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  model: { type: 'string', short: 'm' },
  format: { type: 'string', short: 'f' },
  stream: { type: 'boolean' },
  size: { type: 'string' },
  aspect: { type: 'string' },
  'no-size-in-prompt': { type: 'boolean' },
  fit: { type: 'string' },
  'save-format': { type: 'string' },
  'save-quality': { type: 'string' },
  'max-width': { type: 'string' },
  'max-height': { type: 'string' },
  'no-metadata': { type: 'boolean' },
  quality: { type: 'string' },
  background: { type: 'string' },
  style: { type: 'string' },
  'partial-images': { type: 'string' },
  timeout: { type: 'string' },
  'max-attempts': { type: 'string' },
  'total-timeout': { type: 'string' },
  verbose: { type: 'boolean', short: 'v' },
  api: { type: 'string' },
  'image-model': { type: 'string' },
  image: { type: 'string', multiple: true },
  mask: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

export type Values = ReturnType<typeof parseCommandLine>;

export function parseCommandLine(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, strict: true, allowPositionals: false }).values;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const message = err instanceof Error ? err.message : String(err);
    if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      const option = /'([^']+)'/.exec(message)?.[1] ?? message;
      throw new UsageError(`unknown option '${option}' (see --help)`);
    }
    if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
      const arg = /'([^']+)'/.exec(message)?.[1] ?? '';
      throw new UsageError(`unexpected argument '${arg}'; put the prompt after --prompt (see --help)`);
    }
    if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
      const option = /(--[\w-]+)/.exec(message)?.[1];
      throw new UsageError(option ? `option '${option}' needs a value (see --help)` : `${firstLine(message)} (see --help)`);
    }
    throw new UsageError(`${firstLine(message)} (see --help)`);
  }
}

export function firstLine(text: string): string {
  return text.split(/\r?\n/)[0] ?? text;
}

export function versionString(): string {
  return typeof __EXTENSION_VERSION__ === 'string' ? __EXTENSION_VERSION__ : 'dev';
}

export function wholeNumber(value: string, flag: string): number {
  if (!/^\d+$/.test(value.trim())) throw new UsageError(`${flag} needs a whole number, not '${value}'`);
  return Number(value.trim());
}

export function positiveSeconds(value: string, flag: string): number {
  const n = Number(value.trim());
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !(n > 0)) throw new UsageError(`${flag} needs a number of seconds greater than 0, not '${value}'`);
  return n;
}

export async function readAll(stream: Readable, signal: AbortSignal | undefined, what: string): Promise<string> {
  if (signal) addAbortSignal(signal, stream);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    total += buffer.length;
    if (total > MAX_PROMPT_BYTES) throw new UsageError(`${what} is larger than 1 MiB`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export async function readPrompt(values: Values, io: CliIo): Promise<string> {
  if (values.prompt !== undefined && values['prompt-file'] !== undefined) {
    throw new UsageError('use either --prompt or --prompt-file, not both');
  }
  let prompt: string;
  if (values.prompt === '-' || values['prompt-file'] === '-') {
    prompt = await readAll(io.stdin, io.signal, 'the prompt on standard input');
  } else if (values['prompt-file'] !== undefined) {
    const file = path.resolve(io.cwd, values['prompt-file']);
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new UsageError(`--prompt-file ${values['prompt-file']} is not a file`);
      if (info.size > MAX_PROMPT_BYTES) throw new UsageError(`--prompt-file ${values['prompt-file']} is larger than 1 MiB`);
      prompt = await readFile(file, 'utf8');
    } catch (err) {
      if (err instanceof UsageError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? String(err));
      throw new UsageError(`cannot read --prompt-file ${values['prompt-file']}: ${why}`);
    }
  } else if (values.prompt !== undefined) {
    prompt = values.prompt;
  } else {
    throw new UsageError('missing --prompt (see --help)');
  }
  prompt = prompt.replace(/^\uFEFF/, '').trim();
  if (prompt === '') throw new UsageError('the prompt is empty');
  return prompt;
}

/**
 * The flags as `UserSettings` (values not given stay unset, so settings and environment still apply), and which flag
 * chose the output format (`format`, or `output` when the `--output` extension implied it) for messages.
 */
export function settingsFromArgs(values: Values): { settings: UserSettings; formatFlag: 'format' | 'output' } {
  const settings: UserSettings = {};
  if (values.model !== undefined) settings.model = values.model;
  let formatFlag: 'format' | 'output' = 'format';
  if (values.format !== undefined) {
    if (parseOutputFormat(values.format) === undefined) throw new UsageError(`--format must be png, jpeg or webp, not '${values.format}'`);
    settings.outputFormat = values.format;
  } else {
    const implied = formatFromOutput(values.output);
    if (implied !== undefined) {
      settings.outputFormat = implied;
      formatFlag = 'output';
    }
  }
  if (values.size !== undefined && values.aspect !== undefined) throw new UsageError('use either --size or --aspect, not both');
  if (values.size !== undefined) {
    if (values.size.trim().toLowerCase() !== 'auto' && parseSize(values.size) === undefined) {
      throw new UsageError(`--size needs WIDTHxHEIGHT such as 1024x1536, or auto, not '${values.size}'`);
    }
    settings.size = values.size;
  }
  if (values.aspect !== undefined) {
    const aspect = parseAspect(values.aspect);
    const size = aspect ? sizeForAspect(aspect) : undefined;
    if (!size) throw new UsageError(`--aspect needs W:H such as 3:2 or 16:9, at most 3:1 either way, not '${values.aspect}'`);
    settings.size = `${size.width}x${size.height}`;
  }
  if (values['no-size-in-prompt'] === true) settings.sizePhrase = false;
  if (values.fit !== undefined) {
    if (!['crop', 'contain', 'none'].includes(values.fit.trim().toLowerCase())) throw new UsageError(`--fit must be crop, contain or none, not '${values.fit}'`);
    settings.fit = values.fit;
  }
  if (values['save-format'] !== undefined) {
    if (!['original', 'webp', 'png', 'jpeg', 'jpg'].includes(values['save-format'].trim().toLowerCase())) {
      throw new UsageError(`--save-format must be original, webp, png or jpeg, not '${values['save-format']}'`);
    }
    settings.saveFormat = values['save-format'];
  }
  if (values['save-quality'] !== undefined) {
    settings.saveQuality = wholeNumber(values['save-quality'], '--save-quality');
    if (settings.saveQuality < 1 || settings.saveQuality > 100) throw new UsageError(`--save-quality must be from 1 to 100, not ${settings.saveQuality}`);
  }
  for (const [flag, key] of [['max-width', 'saveMaxWidth'], ['max-height', 'saveMaxHeight']] as const) {
    const value = values[flag];
    if (value === undefined) continue;
    const limit = wholeNumber(value, `--${flag}`);
    if (limit < 1 || limit > 65535) throw new UsageError(`--${flag} must be from 1 to 65535, not ${limit}`);
    settings[key] = limit;
  }
  if (values['no-metadata'] === true) settings.saveMetadata = false;
  if (values.quality !== undefined) settings.quality = values.quality;
  if (values.background !== undefined) settings.background = values.background;
  if (values.style !== undefined) settings.style = values.style;
  if (values['partial-images'] !== undefined) {
    settings.partialImages = wholeNumber(values['partial-images'], '--partial-images');
    if (settings.partialImages > 3) throw new UsageError(`--partial-images must be from 0 to 3, not ${settings.partialImages}`);
  }
  if (values.timeout !== undefined) settings.timeoutSeconds = positiveSeconds(values.timeout, '--timeout');
  if (values['max-attempts'] !== undefined) {
    settings.maxAttempts = wholeNumber(values['max-attempts'], '--max-attempts');
    if (settings.maxAttempts < 1 || settings.maxAttempts > 20) throw new UsageError(`--max-attempts must be from 1 to 20, not ${settings.maxAttempts}`);
  }
  if (values['total-timeout'] !== undefined) settings.totalTimeoutSeconds = positiveSeconds(values['total-timeout'], '--total-timeout');
  if (values.api !== undefined) {
    if (!['responses', 'images', 'auto'].includes(values.api.trim().toLowerCase())) throw new UsageError(`--api must be responses, images or auto, not '${values.api}'`);
    settings.api = values.api.trim().toLowerCase();
  }
  if (values['image-model'] !== undefined) settings.imageModel = values['image-model'];
  // Partial images only exist in a stream.
  settings.stream = values.stream === true || (settings.partialImages ?? 0) > 0;
  return { settings, formatFlag };
}

/** The most candidates of one prompt: each is a request of its own (the gateways on the Codex upstream ignore `n`). */
export const MAX_VARIANTS = 4;

/** `--variants`: 1 when absent, else a whole number from 1 to MAX_VARIANTS. */
export function variantCount(values: Pick<Values, 'variants'>): number {
  if (values.variants === undefined) return 1;
  const count = wholeNumber(values.variants, '--variants');
  if (count < 1 || count > MAX_VARIANTS) throw new UsageError(`--variants must be from 1 to ${MAX_VARIANTS}, not ${count}`);
  return count;
}
