import { describe, expect, it } from 'vitest';
import { compile, F, Graph, Linear, Module, ModuleList, ShapeError } from '../../src/engine/index.ts';
import { joinRegExp } from '../regex.ts';
import { hashBytes, serialize } from '../../src/engine/serialize.ts';

class Block extends Module {
  readonly qkv = this.child('qkv', new Linear(8, 24));
  readonly proj = this.child('proj', new Linear(7, 8)); // wrong on purpose: expects 7 features
  forward(x: ReturnType<Graph['input']>) {
    return this.scope(() => this.proj.forward(F.slice(this.qkv.forward(x), -1, 0, 8)));
  }
}
class Net extends Module {
  readonly double_blocks = this.child('double_blocks', new ModuleList([new Block(), new Block()]));
}

describe('modules', () => {
  it('parameter names are checkpoint keys', () => {
    const keys = [...new Net().namedParameters()].map(([k]) => k);
    expect(keys).toEqual([
      'double_blocks.0.qkv.weight',
      'double_blocks.0.qkv.bias',
      'double_blocks.0.proj.weight',
      'double_blocks.0.proj.bias',
      'double_blocks.1.qkv.weight',
      'double_blocks.1.qkv.bias',
      'double_blocks.1.proj.weight',
      'double_blocks.1.proj.bias',
    ]);
    expect(new Net().shapes().get('double_blocks.1.qkv.weight')).toEqual([24, 8]);
  });

  it('a shape error names the op, the module path and both shapes', () => {
    const net = new Net();
    const g = new Graph();
    const x = g.input('x', [2, 5, 8]);
    let err: unknown;
    try {
      net.double_blocks.items[1].forward(x);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ShapeError);
    expect((err as Error).message).toBe(
      'Linear in double_blocks.1.proj: input has 8 features, ' +
        'weight double_blocks.1.proj.weight expects 7: x [2, 5, 8], W [8, 7]',
    );
  });

  it('elementwise and matmul shape errors name both shapes', () => {
    const g = new Graph();
    const a = g.input('a', [2, 3]);
    const b = g.input('b', [4, 5]);
    expect(() => F.add(a, b)).toThrow('Add: shapes [2, 3] and [4, 5] do not broadcast');
    expect(() => F.matmul(a, b)).toThrow('MatMul: inner dimensions differ (3 vs 4): [2, 3] @ [4, 5]');
    expect(() => F.reshape(a, [4, 2])).toThrow('Reshape: cannot reshape [2, 3] (6 elements) to [4, 2]');
  });

  it('compiled sessions are cached by graph signature', async () => {
    const make = () => {
      const g = new Graph();
      g.output('y', F.mul(g.input('x', [3]), 2));
      return g;
    };
    const a = await compile(make());
    const b = await compile(make());
    expect(b).toBe(a);
    const g3 = new Graph();
    g3.output('y', F.mul(g3.input('x', [3]), 3));
    expect(await compile(g3)).not.toBe(a);
  });

  it('a graph rebuilt with fresh but equal large constants finds its cached session; other values do not', async () => {
    // large constants (RoPE tables, masks) are external data; they were named by array identity, so every rebuild
    // (each AE encode of a training step, each edit) compiled a new session and never released the old one
    const table = (v: number) => ({ dtype: 'float32' as const, shape: [2048], data: new Float32Array(2048).fill(v) });
    const make = (v: number) => {
      const g = new Graph();
      g.output('y', F.add(g.input('x', [2048]), g.constant(table(v))));
      return g;
    };
    const a = await compile(make(0.5));
    expect(serialize(make(0.5)).bytes).toEqual(serialize(make(0.5)).bytes);
    expect(await compile(make(0.5))).toBe(a);
    const b = await compile(make(0.25));
    expect(b).not.toBe(a);
    const x = { x: { dtype: 'float32' as const, shape: [2048], data: new Float32Array(2048).fill(1) } };
    expect((await a.run(x)).y.data[2047]).toBe(1.5);
    expect((await b.run(x)).y.data[2047]).toBe(1.25);
    // one value differing in the last element is another constant
    const c = table(0.5);
    c.data[2047] = 0;
    const g = new Graph();
    g.output('y', F.add(g.input('x', [2048]), g.constant(c)));
    expect(await compile(g)).not.toBe(a);
  });

  it('hashBytes covers every byte, any alignment and the length', () => {
    const b = new Uint8Array(4099).map((_, i) => (i * 7) & 255);
    const h = hashBytes(b);
    expect(hashBytes(b.slice())).toBe(h);
    expect(hashBytes(new Uint8Array([0, ...b]).subarray(1))).toBe(h); // unaligned view
    for (const i of [0, 1000, 4095, 4098]) {
      const d = b.slice();
      d[i] ^= 1;
      expect(hashBytes(d)).not.toBe(h);
    }
    expect(hashBytes(b.subarray(0, 4098))).not.toBe(h);
    expect(hashBytes(new Uint8Array(8))).not.toBe(hashBytes(new Uint8Array(4)));
  });

  it('weights are baked in by value identity: a new value gives a new session with the new numbers', async () => {
    const lin = new Linear(2, 1, false);
    lin.weight.set({ dtype: 'float32', shape: [1, 2], data: new Float32Array([1, 2]) });
    const run = async () => {
      const g = new Graph();
      g.output('y', lin.forward(g.input('x', [1, 2])));
      return (await (await compile(g)).run({ x: { dtype: 'float32', shape: [1, 2], data: new Float32Array([3, 4]) } }))
        .y.data[0];
    };
    expect(await run()).toBe(11);
    lin.weight.set({ dtype: 'float32', shape: [1, 2], data: new Float32Array([-1, 1]) });
    expect(await run()).toBe(1);
  });
});

describe('execution providers', () => {
  it('an unavailable provider gives a clear error naming the fix', async () => {
    const { existsSync } = await import('node:fs');
    const { createRequire } = await import('node:module');
    const { dirname, join } = await import('node:path');
    const ortDir = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    // CUDA add-on installed here
    if (existsSync(join(ortDir, 'bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so'))) return;
    const g = new Graph();
    g.output('y', F.mul(g.input('x', [4]), 2));
    await expect(compile(g, { executionProvider: 'cuda', noCache: true })).rejects.toThrow(
      joinRegExp(
        /^execution provider 'cuda' is not available: .*Install the CUDA add-on with `ONNXRUNTIME_NODE_INSTALL=cuda12 /,
        /npm rebuild onnxruntime-node`/,
      ),
    );
  });
});
