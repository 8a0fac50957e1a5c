// kontext-mini in a browser page: the model folder's five files fetched from a URL, the same loader, pipeline and
// editor as Node (src/mini), graphs on onnxruntime-web, and images scaled in plain TypeScript (a page has no
// sharp). Images cross the page boundary as ImageData (RGBA, what a canvas gives and takes); alpha is dropped on
// the way in, as readImage does in Node.

import { UserError } from '../errors.ts';
import type { RGBImage } from '../image/rgb.ts';
import { resampleLanczos } from '../image/resample.ts';
import { MiniEditor } from '../mini/editor.ts';
import { loadMiniFrom, type MiniSource } from '../mini/load.ts';
import { FetchedSafetensors } from './safetensors.ts';
import { configureEngine, type EngineOptions } from './session.ts';

/** The files of a kontext-mini folder served at `base` (a URL, absolute or relative to the page). */
export function fetchedMini(base: string): MiniSource {
  const url = (file: string) => `${base.replace(/\/+$/, '')}/${file}`;
  return {
    name: url,
    async text(file) {
      const res = await fetch(url(file));
      if (!res.ok) throw new UserError(`${url(file)}: HTTP ${res.status}; is the model folder served there?`);
      return res.text();
    },
    open: (file) => FetchedSafetensors.fetch(url(file)),
  };
}

/** Load the kontext-mini model served at `base` into an editor; `engine` picks wasm (default) or webgpu. */
export async function loadMiniEditor(base: string, engine: EngineOptions = {}): Promise<MiniEditor> {
  configureEngine(engine);
  return new MiniEditor(await loadMiniFrom(fetchedMini(base)), { resize: resampleLanczos });
}

/** What a canvas holds (ImageData's shape, so tests can pass plain objects). */
export interface PixelsRGBA {
  width: number;
  height: number;
  data: Uint8ClampedArray | Uint8Array;
}

/** RGBA pixels → the RGB image the editor takes (alpha dropped). */
export function fromRGBA(p: PixelsRGBA): RGBImage {
  const n = p.width * p.height;
  if (p.data.length !== n * 4)
    throw new UserError(`${p.width}x${p.height} RGBA pixels need ${n * 4} bytes, got ${p.data.length}`);
  const data = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    data[3 * i] = p.data[4 * i]!;
    data[3 * i + 1] = p.data[4 * i + 1]!;
    data[3 * i + 2] = p.data[4 * i + 2]!;
  }
  return { width: p.width, height: p.height, data };
}

/** An RGB image → opaque RGBA pixels, for `new ImageData(data, width, height)` and a canvas. */
export function toRGBA(img: RGBImage): { width: number; height: number; data: Uint8ClampedArray<ArrayBuffer> } {
  const n = img.width * img.height;
  const data = new Uint8ClampedArray(n * 4);
  for (let i = 0; i < n; i++) {
    data[4 * i] = img.data[3 * i]!;
    data[4 * i + 1] = img.data[3 * i + 1]!;
    data[4 * i + 2] = img.data[3 * i + 2]!;
    data[4 * i + 3] = 255;
  }
  return { width: img.width, height: img.height, data };
}
