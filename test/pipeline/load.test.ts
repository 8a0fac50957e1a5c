import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { expectedFluxKeys } from '../../src/checkpoint/flux-keys.ts';
import { main } from '../../src/cli/main.ts';
import { writeSafetensors } from '../../src/io/safetensors.ts';
import { spillDir } from '../../src/engine/spill.ts';
import { checkTransformerMemory, estimateTransformerMemory } from '../../src/pipeline/memory.ts';
import { loadFlux } from '../../src/transformer/load.ts';
import { FLUX_KONTEXT_DEV } from '../../src/transformer/params.ts';
import { FIXTURES } from '../fixtures-path.ts';
import { joinRegExp } from '../regex.ts';

// temporary folders of this file, removed when it ends
const dirs: string[] = [];
const tmp = (prefix: string): string => {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
};
// int4 runs spill weights to a per-process folder that is removed on exit, which a test worker may never reach
afterAll(() => {
  for (const d of [...dirs, spillDir()]) rmSync(d, { recursive: true, force: true });
});

const GB = 1024 ** 3;
const kontextRun = (tokens: number) => ({
  shapes: expectedFluxKeys(FLUX_KONTEXT_DEV),
  hidden: 3072,
  heads: 24,
  mlpHidden: 12288,
  batch: 1,
  tokens,
});

describe('memory estimate', () => {
  it('weights: 11.9B parameters are 47.6 GB in f32, ~7.1 GB in int4 (4.5 bits per weight with the scales) ', () => {
    const f32 = estimateTransformerMemory(kontextRun(2560), 'f32');
    const int4 = estimateTransformerMemory(kontextRun(2560), 'int4');
    expect(f32.weights / 2.5).toBeCloseTo(11_901_408_320 * 4, -7); // in memory: ~2.5 copies at session creation
    expect(int4.weights / 2.5 / GB).toBeGreaterThan(6.5);
    expect(int4.weights / 2.5 / GB).toBeLessThan(7.5);
    const spilled = estimateTransformerMemory({ ...kontextRun(2560), spilled: true }, 'int4');
    expect(spilled.weights).toBeCloseTo((int4.weights * 1.5) / 2.5, -3);
  });

  it('activations: fused attention (inference) is linear in the sequence, composite (training) quadratic', () => {
    const act = (tokens: number, attention?: 'composite' | 'chunked' | 'fused') =>
      estimateTransformerMemory({ ...kontextRun(tokens), attention }, 'int4').activations;
    vi.stubEnv('KONTEXT_ATTENTION', '');
    try {
      expect(act(8704)).toBe(act(8704, 'fused')); // the default: what inference graphs run
    } finally {
      vi.unstubAllEnvs();
    }
    // 1024² edit (8704 tokens) vs 512² edit (2560 tokens)
    expect(act(8704, 'fused') / act(2560, 'fused')).toBeCloseTo(8704 / 2560, 6);
    expect(act(8704, 'composite')).toBeGreaterThan(8 * act(2560, 'composite'));
    // at 1024²: one score tensor [1, 24, 8704, 8704] is 7.3 GB; fused, the whole run's activations are under 4 GB
    // (measured: 3.7 GB above the weights and runtime, BENCHMARKS.md)
    expect(act(8704, 'composite')).toBeGreaterThan(2 * 7.2e9);
    expect(act(8704, 'fused')).toBeLessThan(4 * GB);
    // chunked: scores for one block of 1024 queries, between the two
    expect(act(8704, 'chunked')).toBeLessThan(act(8704, 'composite') / 4);
    expect(act(8704, 'chunked')).toBeGreaterThan(act(8704, 'fused'));
  });

  it('refuses a run that does not fit and names the format that would', () => {
    expect(() => checkTransformerMemory(kontextRun(2560), 'f32', 23 * GB)).toThrow(
      joinRegExp(
        /^not enough memory: this run needs about 1\d\d\.\d GB \(f32 weights .* this machine has 23\.0 GB available /,
        /.* Load the weights as int8 \(about 2\d\.\d GB\) or int4 \(about 1\d\.\d GB\) with --weights int8\.$/,
      ),
    );
    expect(() => checkTransformerMemory({ ...kontextRun(2560), spilled: true }, 'int4', 23 * GB)).not.toThrow();
    expect(() => checkTransformerMemory(kontextRun(2560), 'f32', 16 * GB)).toThrow(
      /Load the weights as int4 \(about 1\d\.\d GB\) with --weights int4\.$/,
    );
    expect(() => checkTransformerMemory(kontextRun(2560), 'int4', 4 * GB)).toThrow(
      /No weight format fits: use a smaller image/,
    );
  });
});

describe('loading checkpoints', () => {
  it('a wrong checkpoint is refused before loading, naming the cause', async () => {
    await expect(loadFlux(join(FIXTURES, 'ae-tiny.weights.safetensors'))).rejects.toThrow(/img_in\.weight/);
    await expect(loadFlux(join(FIXTURES, 'does-not-exist.safetensors'))).rejects.toThrow(/does not exist/);
  });
});

describe('kontext edit (CLI)', () => {
  it('edits an image with named checkpoints and precomputed prompt embeddings, in f32 and int4', async () => {
    const dir = tmp('kontext-edit-');
    const embeds = join(dir, 'embeds.safetensors');
    await writeSafetensors(embeds, {
      txt: { dtype: 'float32', shape: [1, 4, 48], data: new Float32Array(4 * 48).map((_, i) => Math.sin(i)) },
      vec: { dtype: 'float32', shape: [1, 32], data: new Float32Array(32).fill(0.1) },
    });
    const input = join(dir, 'in.png');
    await sharp({ create: { width: 100, height: 60, channels: 3, background: { r: 10, g: 200, b: 90 } } })
      .png()
      .toFile(input);
    // no config given: inferred from the file (axes_dim [8, 20, 20] is the default for head dim 48)
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const outs: Buffer[] = [];
    for (const weights of ['f32', 'int4']) {
      const out = join(dir, `out-${weights}.png`);
      const args = [
        'edit',
        '--transformer',
        join(FIXTURES, 'flux-tiny.weights.safetensors'),
        '--ae',
        join(FIXTURES, 'ae-tiny.weights.safetensors'),
      ];
      args.push(
        '--prompt-embeds',
        embeds,
        '--image',
        input,
        '--out',
        out,
        '--steps',
        '2',
        '--seed',
        '7',
        '--area',
        '4096',
        '--weights',
        weights,
      );
      expect(await main(args)).toBe(0);
      const meta = await sharp(out).metadata();
      expect([meta.width, meta.height]).toEqual([80, 48]); // 100:60 → the 1.66 bucket (1328×800 scaled to 64² pixels)
      outs.push(await sharp(out).raw().toBuffer());
    }
    expect(log.mock.calls.map((c) => c[0])).toContain(`wrote ${join(dir, 'out-f32.png')} (80x48, seed 7)`);
    // int4 weights change the numbers a little, not the picture
    let diff = 0;
    for (let i = 0; i < outs[0].length; i++) diff += Math.abs(outs[0][i] - outs[1][i]);
    expect(diff / outs[0].length).toBeLessThan(20);
    log.mockRestore();
    err.mockRestore();
  });
});
