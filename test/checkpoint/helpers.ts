// Build checkpoint folders in other layouts from the BFL fixtures, for loader tests.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { HostTensor } from '../../src/engine/dtype.ts';
import { readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';

export async function loadMap(file: string): Promise<Map<string, HostTensor>> {
  return new Map(Object.entries(await readSafetensors(file)));
}

/**
 * Write `tensors` as a diffusers component folder `<root>/<component>/`: one diffusion_pytorch_model.safetensors, or
 * `shards` files plus diffusion_pytorch_model.safetensors.index.json (as diffusers' save_pretrained does).
 */
export async function writeDiffusersComponent(
  root: string,
  component: string,
  tensors: Map<string, HostTensor>,
  shards = 1,
): Promise<string> {
  const dir = path.join(root, component);
  await mkdir(dir, { recursive: true });
  if (shards === 1) {
    await writeSafetensors(path.join(dir, 'diffusion_pytorch_model.safetensors'), tensors, { format: 'pt' });
    return dir;
  }
  const keys = [...tensors.keys()];
  const per = Math.ceil(keys.length / shards);
  const weightMap: Record<string, string> = {};
  for (let s = 0; s < shards; s++) {
    const pad = (i: number) => String(i).padStart(5, '0');
    const name = `diffusion_pytorch_model-${pad(s + 1)}-of-${pad(shards)}.safetensors`;
    const part = new Map(keys.slice(s * per, (s + 1) * per).map((k) => [k, tensors.get(k)!]));
    for (const k of part.keys()) weightMap[k] = name;
    await writeSafetensors(path.join(dir, name), part, { format: 'pt' });
  }
  await writeFile(
    path.join(dir, 'diffusion_pytorch_model.safetensors.index.json'),
    JSON.stringify({ metadata: { total_size: 0 }, weight_map: weightMap }, null, 2),
  );
  return dir;
}

/** Bit-level equality of two host tensors (dtype, shape and every element). */
export function sameTensor(a: HostTensor, b: HostTensor): boolean {
  if (a.dtype !== b.dtype || a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i]))
    return false;
  const x = new Uint8Array(a.data.buffer, a.data.byteOffset, a.data.byteLength);
  const y = new Uint8Array(b.data.buffer, b.data.byteOffset, b.data.byteLength);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
