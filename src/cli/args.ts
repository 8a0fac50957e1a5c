// Checks shared by the commands that read images and write one (edit, generate, session edit): numbers, seeds,
// input files and the output file. They all run before any model is loaded, so that a mistake costs nothing;
// each throws a UserError whose one line names the problem and the fix.

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UserError } from '../errors.ts';
import {
  encodeImage,
  IMAGE_EXTENSIONS,
  imageFormatOf,
  type ImageFormat,
  readImage,
  type RGBImage,
  transparencyNote,
  transparentShare,
} from '../image/rgb.ts';
import type { PromptCheck } from '../prompt/unknown-words.ts';
import { MAX_SEED } from '../sampling/noise.ts';
import { describeUnshown } from '../session/format.ts';

export { MAX_SEED };

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

/**
 * parseArgs as every command uses it: `--help`/`-h` added, positionals allowed. With `--help` the command's help is
 * printed and the result is null (the command then exits 0); unknown options throw parseArgs' own errors, which
 * the central error path (main.ts) turns into one line and exit 2.
 */
export function parseCommand<const O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  help: string,
  options: O,
) {
  const config = { args: argv, allowPositionals: true as const, options: { ...options, ...HELP_OPTION } };
  const parsed = parseArgs<typeof config>(config);
  if ((parsed.values as { help?: boolean }).help) {
    console.log(help);
    return null;
  }
  return parsed;
}

/** An integer option in [min, max] (decimal digits only: no '1e3', '0x10' or '7.0'), or undefined when not given. */
export function intArg(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  if (!/^\s*\+?\d+\s*$/.test(value) || n < min || n > max)
    throw new UserError(`${flag} must be an integer from ${min} to ${max}, got '${value}'`);
  return n;
}

/** A number option in [min, max], or undefined when not given. */
export function numArg(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!value.trim() || !Number.isFinite(n) || n < min || n > max)
    throw new UserError(`${flag} must be a number from ${min} to ${max}, got '${value}'`);
  return n;
}

/**
 * A noise seed: an integer from 0 to 2^32 − 1. The generator (src/sampling/noise.ts, as torch's) keeps the low 32
 * bits, so a larger seed would silently give the noise of a smaller one; it is refused instead.
 */
export function seedArg(value: string | undefined, flag = '--seed'): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  if (!/^\s*\+?\d+\s*$/.test(value) || n > MAX_SEED) {
    throw new UserError(`${flag} must be an integer from 0 to ${MAX_SEED} (seeds are 32-bit), got '${value}'`);
  }
  return n;
}

/** Options that do not apply in this mode are mistakes, not silently ignored: "--width, --area apply <why>". */
export function refuseOptions(values: Record<string, unknown>, names: readonly string[], why: string): void {
  const given = names.filter((n) => values[n] !== undefined);
  if (given.length)
    throw new UserError(`${given.map((n) => `--${n}`).join(', ')} ${given.length > 1 ? 'apply' : 'applies'} ${why}`);
}

/** A file (or, with folder: true, a file or a folder) named by an option must exist. */
export function requirePath(flag: string, path: string, o: { folder?: boolean; what?: string } = {}): void {
  const what = o.what ? ` (${o.what})` : '';
  if (!existsSync(path)) throw new UserError(`${flag} ${path} does not exist${what}`);
  if (!o.folder && statSync(path).isDirectory())
    throw new UserError(`${flag} ${path} is a folder; give the file${what}`);
}

function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err)
    .split('\n')[0]
    .trim()
    .replace(/[:.]+$/, '');
}

/** Read an input image, with one clear line for a missing file, a folder, a non-image, a truncated or huge file. */
export async function readInputImage(path: string, what = 'input image'): Promise<RGBImage> {
  if (!existsSync(path)) throw new UserError(`${what} ${path} does not exist`);
  if (statSync(path).isDirectory()) throw new UserError(`${what} ${path} is a folder, not an image file`);
  try {
    return await readImage(path);
  } catch (e) {
    // readImage's "cannot read an image from" carries sharp's reason as its cause; its other UserErrors (zero size,
    // too many pixels, truncated) already name the file and the fix
    if (e instanceof UserError && !(e.message.startsWith('cannot read an image from') && e.cause)) throw e;
    throw new UserError(
      `cannot read ${path} as an image (PNG, JPEG, WebP): ${firstLine(e instanceof UserError ? e.cause : e)}`,
    );
  }
}

/** The input images with transparent pixels, each with its share of them (see transparentShare). */
export async function transparentInputs(paths: string[]): Promise<{ path: string; share: number }[]> {
  const found = [];
  for (const path of paths) {
    const share = await transparentShare(path);
    if (share > 0) found.push({ path, share });
  }
  return found;
}

/**
 * The note for edits whose answer did not show all of them as the output step reads it, after `tries` samples each
 * (MiniEditResult.unshown): what is written instead, and what may make it.
 */
export function unshownNote(
  unshown: readonly string[],
  tries: number,
  fix = 'another --seed, or more --retries, may make it',
): string {
  const each = tries > 1 ? `in any of ${tries} tries` : 'in its one try';
  return `${describeUnshown(unshown)}, ${each}; the answer that showed the most is written (${fix})`;
}

/** One note per transparent input: what the model sees there, and the fix. */
export function printTransparencyNotes(found: { path: string; share: number }[]): void {
  for (const { path, share } of found) console.error(`note: ${transparencyNote(path, share)}`);
}

export interface OutputFile {
  path: string;
  format: ImageFormat;
  /** replace an existing file */
  force: boolean;
}

const EXTENSIONS = Object.keys(IMAGE_EXTENSIONS).join(', ');

/**
 * Check the image file a command will write, before any work is done: a name with a known extension (it says the
 * format), in a folder that exists and is writable, not a folder itself, not one of the inputs, and new unless
 * `force`.
 */
export function checkOutput(
  out: string | undefined,
  o: { inputs?: readonly string[]; force?: boolean; flag?: string } = {},
): OutputFile {
  const flag = o.flag ?? '--out';
  if (!out) throw new UserError(`${flag} is required: the image file to write (${EXTENSIONS})`);
  if (existsSync(out) && statSync(out).isDirectory())
    throw new UserError(`${flag} ${out} is a folder; give a file name, e.g. ${join(out, 'out.png')}`);
  const format = imageFormatOf(out);
  if (!format) {
    const ext = /\.[^./\\]+$/.exec(basename(out))?.[0];
    throw new UserError(
      `${flag} ${out}: ${ext ? `cannot write '${ext}' images` : 'the name has no extension'}; ` +
        `name the file ${EXTENSIONS} (the extension sets the format)`,
    );
  }
  const parent = dirname(resolve(out));
  if (!existsSync(parent))
    throw new UserError(`${flag} ${out}: folder ${parent} does not exist; create it first (mkdir -p ${parent})`);
  if (!statSync(parent).isDirectory()) throw new UserError(`${flag} ${out}: ${parent} is not a folder`);
  try {
    accessSync(parent, constants.W_OK);
  } catch {
    throw new UserError(`${flag} ${out}: cannot write in folder ${parent} (permission denied); choose another folder`);
  }
  if (existsSync(out)) {
    const o_ = statSync(out);
    const input = (o.inputs ?? []).find((p) => {
      if (resolve(p) === resolve(out)) return true;
      if (!existsSync(p)) return false;
      const s = statSync(p);
      return s.dev === o_.dev && s.ino === o_.ino; // the same file by another name (a link)
    });
    if (input !== undefined)
      throw new UserError(
        `${flag} ${out} is also an input image; write the result to another file (inputs are never overwritten)`,
      );
    if (!o.force)
      throw new UserError(`${flag} ${out} already exists; pass --force to replace it, or choose another name`);
  }
  return { path: out, format, force: !!o.force };
}

/** Write an image checked by checkOutput, in the format its extension names. */
export async function writeOutput(img: RGBImage, out: OutputFile): Promise<void> {
  await writeOutputBytes(await encodeImage(img, out.format), out);
}

/** Write already encoded bytes (in out.format) to a file checked by checkOutput. */
export async function writeOutputBytes(bytes: Uint8Array, out: OutputFile): Promise<void> {
  try {
    await writeFile(out.path, bytes, { flag: out.force ? 'w' : 'wx' });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new UserError(
        `--out ${out.path} appeared while the command ran; pass --force to replace it, or choose another name`,
      );
    throw new UserError(`cannot write ${out.path}: ${firstLine(e)}`);
  }
}

/**
 * A prompt's note (PromptCheck.note: typos read as known words, unknown words, several edits, colours the world never
 * draws) on stderr; with unknown words, the command that lists the known ones.
 */
export function printPromptNote(check: PromptCheck | undefined): void {
  if (!check?.note) return;
  const list = check.unknownWords.length ? '; `kontext models mini` lists the words it knows' : '';
  console.error(`note: ${check.note}${list}`);
}
