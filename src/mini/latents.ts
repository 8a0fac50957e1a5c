// Images ↔ transformer tokens for kontext-mini: RGB → [−1, 1] → AE encode (normalised latent) → 2×2 pack, and
// back. Batches are padded to a power of two so that a handful of compiled graphs serve every batch size.

import { type AutoEncoder, decoderGraph, encoderGraph } from '../autoencoder/model.ts';
import { compile, type HostTensor } from '../engine/index.ts';
import { toCHW, toImage } from '../image/preprocess.ts';
import type { RGBImage } from '../image/rgb.ts';
import { pack, unpack } from '../tokens/pack.ts';
import { aeFactor } from './config.ts';

const bucket = (n: number) => 2 ** Math.ceil(Math.log2(Math.max(1, n)));

function feedParams(
  inputs: { name: string }[],
  feeds: Record<string, HostTensor>,
  values?: Map<string, HostTensor>,
): void {
  if (values) for (const x of inputs) if (values.has(x.name)) feeds[x.name] = values.get(x.name)!;
}

/** Square images of side S → packed tokens [(S/f/2)², 4z] each. */
export async function encodeImages(
  ae: AutoEncoder,
  images: RGBImage[],
  values?: Map<string, HostTensor>,
): Promise<Float32Array[]> {
  if (!images.length) return [];
  const S = images[0].width;
  const f = aeFactor(ae.params);
  const z = ae.params.z_channels;
  const h = S / f;
  const out: Float32Array[] = [];
  const B = Math.min(64, bucket(images.length));
  const c = await compile(encoderGraph(ae, B, S, S, values ? 'input' : 'constant'), { outputs: ['latent'] });
  for (let i = 0; i < images.length; i += B) {
    const data = new Float32Array(B * 3 * S * S);
    for (let k = 0; k < B && i + k < images.length; k++) {
      const img = images[i + k];
      if (img.width !== S || img.height !== S)
        throw new Error(`encodeImages: image ${i + k} is ${img.width}x${img.height}, expected ${S}x${S}`);
      data.set(toCHW(img), k * 3 * S * S);
    }
    const feeds: Record<string, HostTensor> = { image: { dtype: 'float32', shape: [B, 3, S, S], data } };
    feedParams(c.inputs, feeds, values);
    const lat = (await c.run(feeds)).latent.data as Float32Array;
    for (let k = 0; k < B && i + k < images.length; k++)
      out.push(pack(lat.subarray(k * z * h * h, (k + 1) * z * h * h), 1, z, h, h));
  }
  return out;
}

/** Packed tokens → images of side S. */
export async function decodeTokens(
  ae: AutoEncoder,
  tokens: Float32Array[],
  S: number,
  values?: Map<string, HostTensor>,
): Promise<RGBImage[]> {
  if (!tokens.length) return [];
  const f = aeFactor(ae.params);
  const z = ae.params.z_channels;
  const h = S / f;
  const B = Math.min(64, bucket(tokens.length));
  const c = await compile(decoderGraph(ae, B, h, h, values ? 'input' : 'constant'));
  const out: RGBImage[] = [];
  for (let i = 0; i < tokens.length; i += B) {
    const data = new Float32Array(B * z * h * h);
    for (let k = 0; k < B && i + k < tokens.length; k++) data.set(unpack(tokens[i + k], 1, z, h, h), k * z * h * h);
    const feeds: Record<string, HostTensor> = { latent: { dtype: 'float32', shape: [B, z, h, h], data } };
    feedParams(c.inputs, feeds, values);
    const px = (await c.run(feeds)).image.data as Float32Array;
    for (let k = 0; k < B && i + k < tokens.length; k++)
      out.push(toImage(px.subarray(k * 3 * S * S, (k + 1) * 3 * S * S), S, S));
  }
  return out;
}

export { feedParams };
