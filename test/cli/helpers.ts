// Helpers of the CLI tests: run `main` in-process with console and stderr captured, and build broken inputs
// (truncated and oversized PNGs, safetensors files whose data are never written).
import { open, writeFile } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { vi } from 'vitest';
import { main } from '../../src/cli/main.ts';

export interface CliResult {
  code: number;
  /** console.error lines (one call = one entry) */
  errors: string[];
  logs: string[];
  /** everything written to process.stderr directly (progress lines) */
  stderr: string;
}

export async function cli(...argv: string[]): Promise<CliResult> {
  const r: CliResult = { code: -1, errors: [], logs: [], stderr: '' };
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void r.errors.push(a.join(' ')));
  const log = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void r.logs.push(a.join(' ')));
  const write = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => {
    r.stderr += String(s);
    return true;
  });
  try {
    r.code = await main(argv);
  } finally {
    err.mockRestore();
    log.mockRestore();
    write.mockRestore();
  }
  return r;
}

// ---- PNG by hand (so that the header can say what the data does not hold)

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
}

/**
 * An RGB PNG whose header says width×height. With `rows`, only that many rows of pixel data follow (so a huge
 * header costs nothing); with `cut`, the file stops after that many bytes (a truncated download).
 */
export function pngBytes(width: number, height: number, o: { rows?: number; cut?: number } = {}): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  const rows = Math.min(height, o.rows ?? height);
  const raw = Buffer.alloc(rows * (1 + 3 * width));
  for (let i = 0; i < raw.length; i++) raw[i] = i % (1 + 3 * width) === 0 ? 0 : (i * 37) % 251;
  const png = Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
  return o.cut === undefined ? png : png.subarray(0, o.cut);
}

// ---- safetensors by hand

export interface HeaderTensor {
  dtype: 'F32' | 'I32';
  shape: number[];
  /** the values (float32 / int32); omitted: the file is extended to its full size without writing them (sparse) */
  data?: ArrayLike<number>;
}

/** A safetensors file; tensors without data take their full size on paper only (a sparse file). */
export async function writeTensors(path: string, tensors: Record<string, HeaderTensor>): Promise<void> {
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = 4 * t.shape.reduce((a, b) => a * b, 1);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const head = Buffer.alloc(8 + json.length);
  head.writeBigUInt64LE(BigInt(json.length), 0);
  head.write(json, 8, 'ascii');
  await writeFile(path, head);
  const fh = await open(path, 'r+');
  try {
    let pos = head.length;
    for (const t of Object.values(tensors)) {
      const n = t.shape.reduce((a, b) => a * b, 1);
      if (t.data) {
        const arr = t.dtype === 'F32' ? Float32Array.from(t.data) : Int32Array.from(t.data);
        await fh.write(new Uint8Array(arr.buffer), 0, arr.byteLength, pos);
      }
      pos += 4 * n;
    }
    await fh.truncate(pos);
  } finally {
    await fh.close();
  }
}
