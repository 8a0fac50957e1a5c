import { describe, expect, it } from 'vitest';
import { compile, dequantizeWeight, Graph, initParameters, Linear, quantizeWeight } from '../../src/engine/index.ts';
import { maxRelErr as relErr } from '../../src/verify/compare.ts';

describe('int4/int8 weights (MatMulNBits)', () => {
  for (const bits of [4, 8] as const) {
    it(`int${bits}: ORT's MatMulNBits computes x·dequant(W)ᵀ, and the quantization error is as expected`, async () => {
      const lin = new Linear(128, 96);
      initParameters(lin, 1);
      const w = Float32Array.from(lin.weight.value!.data as Float32Array);
      const x = new Float32Array(5 * 128).map((_, i) => Math.sin(i));
      const run = async () => {
        const g = new Graph();
        g.output('y', lin.forward(g.input('x', [5, 128])));
        return (await (await compile(g)).run({ x: { dtype: 'float32', shape: [5, 128], data: x } })).y
          .data as Float32Array;
      };
      const exact = await run();
      const q = quantizeWeight(w, 96, 128, bits, 32);
      const dq = dequantizeWeight(q);
      lin.weight.set({ dtype: 'float32', shape: [96, 128], data: dq });
      const viaDequant = await run();
      lin.weight.setQuantized(q);
      const viaNBits = await run();
      expect(relErr(viaNBits, viaDequant)).toBeLessThan(1e-5);
      // blockwise min/max quantization: every weight within half a step of its block
      const kb = 128 / 32;
      for (let n = 0; n < 96; n++)
        for (let b = 0; b < kb; b++)
          for (let i = 0; i < 32; i++) {
            const k = n * 128 + b * 32 + i;
            expect(Math.abs(w[k] - dq[k])).toBeLessThanOrEqual(q.scales[n * kb + b] / 2 + 1e-7);
          }
      const outErr = relErr(viaNBits, exact);
      expect(outErr).toBeGreaterThan(0);
      expect(outErr).toBeLessThan(bits === 4 ? 0.1 : 0.01);
    });
  }
});

describe('spilled weights', () => {
  it('a model whose weights were spilled to files computes the same as in memory, quantized or not', async () => {
    const { mkdtempSync, readdirSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { spillParameter, F } = await import('../../src/engine/index.ts');
    for (const quantized of [false, true]) {
      const a = new Linear(256, 64);
      const b = new Linear(64, 32);
      initParameters(a, 4);
      initParameters(b, 5);
      if (quantized) a.weight.setQuantized(quantizeWeight(a.weight.value!.data as Float32Array, 64, 256, 4, 32));
      const x = new Float32Array(3 * 256).map((_, i) => Math.cos(i));
      const run = async () => {
        const g = new Graph();
        g.output('y', b.forward(F.gelu(a.forward(g.input('x', [3, 256])))));
        return (await (await compile(g)).run({ x: { dtype: 'float32', shape: [3, 256], data: x } })).y
          .data as Float32Array;
      };
      const inMemory = Float32Array.from(await run());
      const dir = mkdtempSync(join(tmpdir(), 'kontext-spill-'));
      try {
        for (const p of [...a.parameters(), ...b.parameters()]) await spillParameter(p, dir);
        expect(a.weight.spilled).toBe(dir);
        expect(a.weight.value).toBeNull();
        expect(a.bias!.spilled).toBeNull(); // small tensors stay in memory
        // the large tensors (a's packed codes or weight, b's weight) are files; scales, zero points and biases stay
        expect(readdirSync(dir).filter((f) => /^p\d+v\d+(\.packed)?\.bin$/.test(f)).length).toBe(2);
        expect(Array.from(await run())).toEqual(Array.from(inMemory));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });
});
