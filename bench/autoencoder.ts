// The full-size FLUX autoencoder (FLUX_AE: 128 channels, ch_mult [1, 2, 4, 4], 16 latent channels) at 1024×1024:
// one encode (image → 128×128 latent) and one decode, with random float32 weights (83 M parameters; the speed does
// not depend on the values). The mid-block attention runs over 128×128 = 16384 positions: with the whole score
// matrix that alone is 1 GiB per tensor, so this checks the memory-efficient attention too.
// Run it in its own process (`npm run bench -- --only ae-1024`) so that peak RSS is the autoencoder's.

import { AutoEncoder, decoderGraph, encoderGraph } from '../src/autoencoder/model.ts';
import { FLUX_AE } from '../src/autoencoder/params.ts';
import { compile, type HostTensor, initParameters, mulberry32, randn } from '../src/engine/index.ts';
import { peakRssMiB } from './util.ts';

const f32 = (shape: number[], data: Float32Array): HostTensor => ({ dtype: 'float32', shape, data });

export async function benchAutoencoder1024(size = 1024): Promise<Record<string, number>> {
  const ae = new AutoEncoder(FLUX_AE);
  initParameters(ae, 5);
  const r = mulberry32(9);
  const z = size / 8;
  let t0 = performance.now();
  const enc = await compile(encoderGraph(ae, 1, size, size), { noCache: true, outputs: ['latent'] });
  const encSession = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const latent = (await enc.run({ image: f32([1, 3, size, size], randn(3 * size * size, r, 0.5)) })).latent;
  const encSeconds = (performance.now() - t0) / 1000;
  await enc.release();
  t0 = performance.now();
  const dec = await compile(decoderGraph(ae, 1, z, z), { noCache: true });
  const decSession = (performance.now() - t0) / 1000;
  t0 = performance.now();
  const image = (await dec.run({ latent })).image;
  const decSeconds = (performance.now() - t0) / 1000;
  await dec.release();
  return {
    ae1024Params: ae.parameters().reduce((s, p) => s + p.numel, 0),
    ae1024EncodeSessionSeconds: +encSession.toFixed(1),
    ae1024EncodeSeconds: +encSeconds.toFixed(1),
    ae1024DecodeSessionSeconds: +decSession.toFixed(1),
    ae1024DecodeSeconds: +decSeconds.toFixed(1),
    ae1024PeakRssMiB: peakRssMiB(),
    ae1024OutputFinite:
      (image.data as Float32Array).every(Number.isFinite) && image.shape.join() === `1,3,${size},${size}` ? 1 : 0,
  };
}
