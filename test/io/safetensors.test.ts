import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bf16ToF32, type HostTensor } from '../../src/engine/dtype.ts';
import { UserError } from '../../src/errors.ts';
import { readSafetensors, SafetensorsFile, writeSafetensors } from '../../src/io/safetensors.ts';
import { fixture } from './fixtures.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kontext-st-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Build a file from a header (object or raw JSON text), an optional explicit header length and data bytes. */
async function rawFile(
  name: string,
  header: object | string,
  data = new Uint8Array(0),
  lengthField?: bigint,
): Promise<string> {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, lengthField ?? BigInt(json.length), true);
  const p = path.join(dir, name);
  await writeFile(p, Buffer.concat([len, json, data]));
  return p;
}

async function openError(p: string): Promise<Error> {
  try {
    const f = await SafetensorsFile.open(p);
    await f.close();
  } catch (err) {
    return err as Error;
  }
  throw new Error(`opening ${p} did not fail`);
}

describe('writeSafetensors / SafetensorsFile round trip', () => {
  it('round-trips every dtype, the metadata, and pads the header to 8 bytes with spaces', async () => {
    const tensors: Record<string, HostTensor> = {
      f32: { dtype: 'float32', shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, -0, 1e-30]) },
      f64: { dtype: 'float64', shape: [2], data: new Float64Array([Math.PI, -1e300]) },
      f16: { dtype: 'float16', shape: [3], data: new Uint16Array([0x3c00, 0x7bff, 0x8001]) },
      bf16: { dtype: 'bfloat16', shape: [1, 3], data: new Uint16Array([0x3f80, 0xc040, 0x7f80]) },
      e4m3: { dtype: 'float8e4m3', shape: [3], data: new Uint8Array([0x38, 0x7e, 0x81]) },
      e5m2: { dtype: 'float8e5m2', shape: [2], data: new Uint8Array([0x3c, 0x7c]) },
      i64: { dtype: 'int64', shape: [3], data: new BigInt64Array([-(2n ** 62n), 0n, 12345678901234n]) },
      i32: { dtype: 'int32', shape: [2], data: new Int32Array([-7, 2 ** 31 - 1]) },
      i8: { dtype: 'int8', shape: [2], data: new Int8Array([-128, 127]) },
      u8: { dtype: 'uint8', shape: [2], data: new Uint8Array([0, 255]) },
      bool: { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
      empty: { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
      scalar: { dtype: 'float32', shape: [], data: new Float32Array([42]) },
    };
    const p = path.join(dir, 'all.safetensors');
    await writeSafetensors(p, tensors, { format: 'pt', note: 'round trip' });

    const bytes = await readFile(p);
    const n = Number(bytes.readBigUInt64LE(0));
    expect((8 + n) % 8).toBe(0);
    const headerText = bytes.subarray(8, 8 + n).toString('utf8');
    expect(headerText.trimEnd().length).toBeGreaterThan(n - 8); // padding is at most 7 spaces
    expect(/^ *$/.test(headerText.slice(headerText.trimEnd().length))).toBe(true);

    const f = await SafetensorsFile.open(p);
    try {
      expect(f.keys()).toEqual(Object.keys(tensors));
      expect(f.metadata).toEqual({ format: 'pt', note: 'round trip' });
      for (const [name, t] of Object.entries(tensors)) {
        const got = await f.read(name);
        expect(got.dtype, name).toBe(t.dtype);
        expect(got.shape, name).toEqual(t.shape);
        expect(got.data.constructor, name).toBe(t.data.constructor);
        expect([...got.data], name).toEqual([...t.data]);
      }
      expect([...(await f.readF32('bf16'))]).toEqual([1, -3, Infinity]);
      expect([...(await f.readF32('f16'))]).toEqual([1, 65504, -(2 ** -24)]);
      expect([...(await f.readF32('e4m3'))]).toEqual([1, 448, -(2 ** -9)]);
    } finally {
      await f.close();
    }
  });

  it('writes lazy tensors one at a time and checks their length', async () => {
    const order: string[] = [];
    const lazy = (name: string, v: number) => ({
      dtype: 'float32' as const,
      shape: [4],
      data: async () => {
        order.push(name);
        return new Float32Array(4).fill(v);
      },
    });
    const p = path.join(dir, 'lazy.safetensors');
    await writeSafetensors(
      p,
      new Map([
        ['a', lazy('a', 1)],
        ['b', lazy('b', 2)],
      ]),
    );
    expect(order).toEqual(['a', 'b']);
    expect([...(await readSafetensors(p)).b.data]).toEqual([2, 2, 2, 2]);

    const bad = path.join(dir, 'bad-lazy.safetensors');
    await expect(
      writeSafetensors(bad, { x: { dtype: 'float32', shape: [3], data: () => new Float32Array(2) } }),
    ).rejects.toThrow("tensor 'x': float32[3] needs 3 elements, got 2");
    await expect(open(bad)).rejects.toThrow(); // no half-written file is left behind
  });

  it('streams a tensor in chunks and reads element ranges', async () => {
    const data = Float32Array.from({ length: 1000 }, (_, i) => i * 0.5);
    const p = path.join(dir, 'chunks.safetensors');
    await writeSafetensors(p, {
      pad: { dtype: 'uint8', shape: [3], data: new Uint8Array(3) },
      x: { dtype: 'float32', shape: [10, 100], data },
    });
    const f = await SafetensorsFile.open(p);
    try {
      const pieces: number[] = [];
      const starts: number[] = [];
      for await (const { start, data: d } of f.chunks('x', 300)) {
        starts.push(start);
        pieces.push(...(d as Float32Array));
      }
      expect(starts).toEqual([0, 300, 600, 900]);
      expect(pieces).toEqual([...data]);
      expect([...(await f.readElements('x', 997, 3))]).toEqual([498.5, 499, 499.5]);
      await expect(f.readElements('x', 999, 2)).rejects.toThrow('outside [0, 1000)');
      await expect(f.read('nope')).rejects.toThrow(`safetensors file '${p}' has no tensor 'nope'`);
    } finally {
      await f.close();
    }
  });
});

describe('reading the reference fixtures', () => {
  it('reads noise.safetensors (BF16 and F32 tensors) with the values torch wrote', async () => {
    const f = await SafetensorsFile.open(fixture('noise.safetensors'));
    try {
      expect(f.keys()).toEqual([
        'seed0.bf16',
        'seed0.f32',
        'seed42.bf16',
        'seed42.f32',
        'seed1234567.bf16',
        'seed1234567.f32',
      ]);
      const bf = await f.read('seed0.bf16');
      expect(bf.dtype).toBe('bfloat16');
      expect(bf.shape).toEqual([1, 16, 8, 12]);
      const bfv = await f.readF32('seed0.bf16');
      expect([...bfv]).toEqual([...bf16ToF32(bf.data as Uint16Array)]);
      expect([...bfv.subarray(0, 4)]).toEqual([1.4609375, 0.291015625, 0.9609375, 1.5703125]);
      const f32 = await f.read('seed0.f32');
      expect(f32.dtype).toBe('float32');
      // torch.manual_seed(0); torch.randn(...)[0] is the well-known -1.1258398
      expect([...(f32.data as Float32Array).subarray(0, 2)]).toEqual([
        Math.fround(-1.1258398294448853),
        Math.fround(-1.152360200881958),
      ]);
      const big = await f.readF32('seed1234567.f32');
      expect(big.length).toBe(16 * 128 * 128);
      expect(big.reduce((a, b) => a + b, 0)).toBeCloseTo(-124.687, 2);
    } finally {
      await f.close();
    }
  });

  it('reads the tiny BFL transformer weights with their metadata', async () => {
    const f = await SafetensorsFile.open(fixture('flux-tiny.weights.safetensors'));
    try {
      expect(f.metadata).toEqual({ format: 'flux-bfl' });
      expect(f.keys().length).toBe(84);
      expect(f.entry('img_in.weight')).toMatchObject({ dtype: 'bfloat16', shape: [96, 64] });
    } finally {
      await f.close();
    }
  });
});

describe('corrupt files give clear errors naming the file and the tensor', () => {
  const f32 = (shape: number[], begin: number, end: number) => ({ dtype: 'F32', shape, data_offsets: [begin, end] });

  it('rejects a file too small for the header length', async () => {
    const p = path.join(dir, 'tiny.safetensors');
    await writeFile(p, Buffer.from([1, 2, 3]));
    const err = await openError(p);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain(`safetensors file '${p}' has 3 bytes: too small`);
  });

  it('rejects an absurd header length', async () => {
    const p = await rawFile('absurd.safetensors', '{}', undefined, 1n << 40n);
    expect((await openError(p)).message).toContain('header length 1099511627776 is absurd');
  });

  it('rejects a header length past the end of the file', async () => {
    const p = await rawFile('short.safetensors', '{"a": 1}', undefined, 5000n);
    expect((await openError(p)).message).toMatch(
      /header length 5000 runs past the end of the file \(\d+ bytes\): the file is truncated/,
    );
  });

  it('recognises a zip (PyTorch) file', async () => {
    const p = path.join(dir, 'model.ckpt');
    await writeFile(p, Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(100)]));
    expect((await openError(p)).message).toContain('looks like a zip file');
  });

  it('rejects invalid JSON and non-object headers', async () => {
    const p = await rawFile('json.safetensors', '{"a": {"dtype": ');
    expect((await openError(p)).message).toMatch(/'.*json.safetensors': the header is not valid JSON \(/);
    const q = await rawFile('array.safetensors', '[1, 2]');
    expect((await openError(q)).message).toContain('the header must be a JSON object of tensors, got an array');
  });

  it('rejects an unknown dtype', async () => {
    const p = await rawFile(
      'dtype.safetensors',
      { w: { dtype: 'I16', shape: [2], data_offsets: [0, 4] } },
      new Uint8Array(4),
    );
    expect((await openError(p)).message).toContain(
      "tensor 'w': unknown dtype 'I16' (supported: F64, F32, F16, BF16, F8_E4M3, F8_E5M2, I64",
    );
  });

  it('rejects a shape that does not match the byte length', async () => {
    const p = await rawFile('size.safetensors', { w: f32([2, 3], 0, 20) }, new Uint8Array(20));
    expect((await openError(p)).message).toContain(
      "tensor 'w': shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20] span 20",
    );
  });

  it('rejects malformed offsets and shapes', async () => {
    const p = await rawFile(
      'offs.safetensors',
      { w: { dtype: 'F32', shape: [1], data_offsets: [8, 4] } },
      new Uint8Array(8),
    );
    expect((await openError(p)).message).toContain(
      `tensor 'w': "data_offsets" must be [begin, end] with 0 <= begin <= end, got [8,4]`,
    );
    const q = await rawFile(
      'shape.safetensors',
      { w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } },
      new Uint8Array(4),
    );
    expect((await openError(q)).message).toContain(
      `tensor 'w': "shape" must be an array of non-negative integers, got [-1]`,
    );
  });

  it('reports a truncated file (data beyond the end), naming the tensor', async () => {
    const good = path.join(dir, 'good.safetensors');
    await writeSafetensors(good, {
      a: { dtype: 'float32', shape: [4], data: new Float32Array(4) },
      b: { dtype: 'float32', shape: [8], data: new Float32Array(8) },
    });
    const bytes = await readFile(good);
    const cut = path.join(dir, 'cut.safetensors');
    await writeFile(cut, bytes.subarray(0, bytes.length - 10));
    const err = await openError(cut);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toContain(
      `safetensors file '${cut}': the file is truncated: tensor 'b' occupies data bytes 16..48 but the ` +
        `data area has only 38 bytes`,
    );
  });

  it('rejects overlapping tensors', async () => {
    const p = await rawFile('overlap.safetensors', { a: f32([4], 0, 16), b: f32([4], 8, 24) }, new Uint8Array(24));
    expect((await openError(p)).message).toContain("tensors 'a' [0, 16] and 'b' [8, 24] overlap");
  });

  it('rejects a gap at the start of the data area and between tensors', async () => {
    const p = await rawFile('gap0.safetensors', { a: f32([2], 8, 16) }, new Uint8Array(16));
    expect((await openError(p)).message).toContain("8 unused bytes at the start of the data area, before tensor 'a'");
    const q = await rawFile('gap1.safetensors', { a: f32([2], 0, 8), b: f32([2], 12, 20) }, new Uint8Array(20));
    expect((await openError(q)).message).toContain("4 unused bytes between tensors 'a' and 'b'");
  });

  it('rejects trailing bytes after the last tensor', async () => {
    const p = await rawFile('trail.safetensors', { a: f32([2], 0, 8) }, new Uint8Array(12));
    expect((await openError(p)).message).toContain("4 bytes after the last tensor's data");
  });

  it('names a missing file', async () => {
    const p = path.join(dir, 'missing.safetensors');
    expect((await openError(p)).message).toBe(`safetensors file '${p}' does not exist`);
  });
});

describe('large files', () => {
  it('reads a tensor at a 5 GB offset of a sparse file without reading the rest', async () => {
    const bigBytes = 5 * 1024 ** 3;
    const header = new TextEncoder().encode(
      JSON.stringify({ big: { dtype: 'U8', shape: [bigBytes], data_offsets: [0, bigBytes] }, tail: f32x4(bigBytes) }),
    );
    const p = path.join(dir, 'sparse.safetensors');
    const fh = await open(p, 'w');
    try {
      const len = Buffer.alloc(8);
      len.writeBigUInt64LE(BigInt(header.length));
      await fh.write(len, 0, 8, 0);
      await fh.write(header, 0, header.length, 8);
      const dataStart = 8 + header.length;
      await fh.truncate(dataStart + bigBytes + 16); // a hole: takes no disk space
      const tail = new Float32Array([1.5, -2, 3.25, 1e-3]);
      await fh.write(new Uint8Array(tail.buffer), 0, 16, dataStart + bigBytes);
    } finally {
      await fh.close();
    }
    const f = await SafetensorsFile.open(p);
    try {
      expect(f.entry('big').end).toBe(bigBytes);
      expect([...(await f.readF32('tail'))]).toEqual([1.5, -2, 3.25, Math.fround(1e-3)]);
      expect([...(await f.readElements('big', bigBytes - 4, 4))]).toEqual([0, 0, 0, 0]);
    } finally {
      await f.close();
    }
  });
});

function f32x4(begin: number) {
  return { dtype: 'F32', shape: [4], data_offsets: [begin, begin + 16] };
}
