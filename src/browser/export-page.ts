// `kontext page`: a folder of static files that edits images with kontext-mini inside a browser — no server runs
// the model, any static file host serves it. What it holds:
//   index.html, kontext-mini.js   the page (mini-page.html) and its script (mini-page.ts bundled with the engine),
//                                 which is also the library for your own pages (its exports: mini-page.ts)
//   model/                        the model folder's five files (config, tokenizer, three safetensors)
//   ort/                          onnxruntime-web's runtime (its JSEP build: WebAssembly on the CPU, and WebGPU)
//   example.png                   the first input, until the user picks an image

import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UserError } from '../errors.ts';
import { checkMiniFolder, MINI_FILES } from '../mini/load.ts';
import { bundleForBrowser } from './bundle.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const EXAMPLE = fileURLToPath(new URL('../../examples/scene.png', import.meta.url));

/** onnxruntime-web's runtime files the page fetches: its JSEP build, which serves WebAssembly and WebGPU alike. */
export const ORT_FILES = ['ort-wasm-simd-threaded.jsep.wasm', 'ort-wasm-simd-threaded.jsep.mjs'] as const;

/** Marks a folder as written by `kontext page`, so writing it again may replace it. */
const MARKER = 'kontext-page.json';

function ortDist(): string {
  return dirname(createRequire(import.meta.url).resolve('onnxruntime-web')); // its dist/ folder
}

/**
 * Refuse to write into a folder that has other things in it (unless `force`, or an earlier page is there).
 * Returns whether an earlier page is there (its model/ and ort/ are then replaced whole).
 */
async function checkOut(out: string, force: boolean): Promise<boolean> {
  const st = await stat(out).catch(() => null);
  if (!st) return false;
  if (!st.isDirectory()) throw new UserError(`--out ${out} is a file; give a folder to write the page into`);
  const entries = await readdir(out);
  if (entries.length && !entries.includes(MARKER) && !force)
    throw new UserError(`--out ${out} is not empty; choose a new folder, or pass --force to write into it anyway`);
  return entries.includes(MARKER);
}

/** Write the page for the kontext-mini folder `model` into `out`; returns the files written (relative paths). */
export async function writePage(out: string, o: { model: string; force?: boolean }): Promise<string[]> {
  checkMiniFolder(o.model);
  const earlier = await checkOut(out, o.force ?? false);
  const js = await bundleForBrowser(join(HERE, 'mini-page.ts'));
  if (earlier) for (const dir of ['model', 'ort']) await rm(join(out, dir), { recursive: true, force: true });
  await mkdir(join(out, 'model'), { recursive: true });
  await mkdir(join(out, 'ort'), { recursive: true });
  const written: string[] = [];
  const put = async (rel: string, data: string | Uint8Array) => {
    await writeFile(join(out, rel), data);
    written.push(rel);
  };
  const copy = async (from: string, rel: string) => {
    await copyFile(from, join(out, rel));
    written.push(rel);
  };
  await put('index.html', await readFile(join(HERE, 'mini-page.html'), 'utf8'));
  await put('kontext-mini.js', js);
  for (const f of MINI_FILES) await copy(join(o.model, f), `model/${f}`);
  const dist = ortDist();
  for (const f of ORT_FILES) await copy(join(dist, f), `ort/${f}`);
  await copy(EXAMPLE, 'example.png');
  await put(MARKER, `${JSON.stringify({ model: o.model, files: written }, null, 2)}\n`);
  return written;
}
