// Widening a decoder (Net2WiderNet) must not change the image it draws: the shipped autoencoder's decoder and a
// random one with several channels per GroupNorm group, widened 2× and 3×, decode the same latents to the same
// pixels; and the copies are not exact copies (they must be able to drift apart in training).
import { describe, expect, it } from 'vitest';
import { AutoEncoder, decoderGraph } from '../../src/autoencoder/model.ts';
import { expectedAEKeys } from '../../src/checkpoint/ae-keys.ts';
import { widenDecoder } from '../../src/autoencoder/widen.ts';
import { compile, initParameters } from '../../src/engine/index.ts';
import { Rng } from '../../src/engine/random.ts';
import { loadMiniAe } from '../../src/mini/load.ts';
import { tinyConfig } from '../mini/tiny.ts';

async function decode(ae: AutoEncoder, z: Float32Array, h: number): Promise<Float32Array> {
  const c = await compile(decoderGraph(ae, 1, h, h));
  const shape = [1, ae.params.z_channels, h, h];
  return (await c.run({ latent: { dtype: 'float32', shape, data: z } })).image.data as Float32Array;
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('widenDecoder', () => {
  it('the shipped decoder widened 2× draws the same image', async () => {
    const ae = await loadMiniAe('models/kontext-mini/ae.safetensors');
    const wide = widenDecoder(ae, 2 * ae.params.ch, 1);
    expect(wide.params.decoder_ch).toBe(32);
    // the checkpoint layout a loader checks against knows the decoder's own width
    const keys = expectedAEKeys(wide.params);
    for (const [k, p] of wide.namedParameters()) expect([k, keys.get(k)]).toEqual([k, p.shape]);
    expect(keys.size).toBe([...wide.namedParameters()].length);
    const z = new Rng(3).normals(ae.params.z_channels * 16 * 16);
    const [a, b] = [await decode(ae, z, 16), await decode(wide, z, 16)];
    expect(maxDiff(a, b)).toBeLessThan(1e-4);
    // the encoder is the same object's values: the latent space does not move
    const enc = (m: AutoEncoder) => [...m.namedParameters()].find(([k]) => k === 'encoder.conv_in.weight')![1].value;
    expect(enc(wide)).toBe(enc(ae));
  });

  it('several channels per group, widened 3×: same image; copies differ', async () => {
    const ae = new AutoEncoder(tinyConfig(1).ae); // ch 8, 4 GroupNorm groups
    initParameters(ae, 7);
    const wide = widenDecoder(ae, 24, 2);
    const z = new Rng(5).normals(4 * 8 * 8);
    expect(maxDiff(await decode(ae, z, 8), await decode(wide, z, 8))).toBeLessThan(1e-4);
    const w = [...wide.namedParameters()].find(([k]) => k === 'decoder.up.0.block.0.conv2.weight')![1].value!;
    const [O, I] = w.shape;
    const d = w.data as Float32Array;
    // input copies 0 and 1 of channel 0 in output row 0 split the weight with noise: not equal
    expect(d[0 * I * 9]).not.toBeCloseTo(d[1 * 9], 6);
    expect(O).toBe(24);
  });

  it('a width that is not a whole multiple is refused', async () => {
    const ae = await loadMiniAe('models/kontext-mini/ae.safetensors');
    expect(() => widenDecoder(ae, 24, 1)).toThrow(
      "decoder_ch 24 must be a whole multiple of the decoder's present width 16",
    );
  });
});
