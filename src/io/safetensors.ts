// safetensors: read and write the checkpoint format of every FLUX release (../shared/docs/kontext-reference.md §3.1).
//
//   [8 bytes: N, little-endian u64] [N bytes: JSON header] [data area: raw little-endian tensor bytes]
//   header = { "__metadata__"?: {str: str}, name: { "dtype": "BF16", "shape": [3072, 64], "data_offsets": [b, e] } }
//
// data_offsets are relative to the start of the data area. The reference implementation (huggingface/safetensors)
// requires the tensors to tile the data area exactly: sorted by offset, the first starts at 0, each starts where
// the previous one ends, and the last ends at the end of the file. We check the same, so a truncated download or a
// corrupt header is reported when the file is opened, naming the file and the tensor.
//
// The reader never reads the whole file: `open` reads the header only; `read(name)` reads one tensor by offset,
// `chunks(name)` streams a tensor in pieces. A 24 GB checkpoint can be converted tensor by tensor in little memory.
import { open as openFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { allocHost, BYTES, numel, type DType, type HostArray, type HostTensor } from '../engine/dtype.ts';
import { clip, preview, UserError } from '../errors.ts';
import { toFloat32 } from './floats.ts';

/** safetensors dtype names → engine dtypes. */
export const SAFETENSORS_DTYPE: Readonly<Record<string, DType>> = {
  F64: 'float64',
  F32: 'float32',
  F16: 'float16',
  BF16: 'bfloat16',
  F8_E4M3: 'float8e4m3',
  F8_E5M2: 'float8e5m2',
  I64: 'int64',
  I32: 'int32',
  I8: 'int8',
  U8: 'uint8',
  BOOL: 'bool',
};

/** engine dtypes → safetensors dtype names. */
export const DTYPE_SAFETENSORS: Readonly<Record<DType, string>> = Object.fromEntries(
  Object.entries(SAFETENSORS_DTYPE).map(([st, d]) => [d, st]),
) as Record<DType, string>;

/** The reference implementation refuses headers above 100 MB; FLUX's 780-tensor header is about 80 kB. */
export const MAX_HEADER_BYTES = 100_000_000;

/** Bytes read per system call when reading a large tensor. */
const READ_CHUNK = 64 * 1024 * 1024;

/** One tensor as described by the header. `begin`/`end` are byte offsets inside the data area. */
export interface TensorEntry {
  name: string;
  dtype: DType;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** the 8 + N bytes before the data area */
  dataStart: number;
  /** tensors in header (JSON) order */
  entries: Map<string, TensorEntry>;
  metadata: Record<string, string>;
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new Error('safetensors: this reader supports little-endian hosts only');
}

/** What a file that is not safetensors probably is, from its first bytes (for a helpful message). */
function sniff(first: Uint8Array): string {
  const ascii = String.fromCharCode(...first.subarray(0, 4));
  if (first[0] === 0x50 && first[1] === 0x4b)
    return ' It looks like a zip file (a PyTorch .pt/.ckpt checkpoint?): convert it to safetensors first.';
  if (ascii === 'GGUF') return ' It is a GGUF file, which kontext does not read.';
  if (first[0] === 0x80 && first[1] <= 5)
    return ' It looks like a Python pickle (a PyTorch checkpoint?): convert it to safetensors first.';
  if (first[0] === 0x7b /* { */) return ' It starts with "{": a JSON file (a config or an index?), not the weights.';
  return '';
}

/** A tensor name as quoted in messages: cut (a corrupt header may hold a 50 MB name). */
const shortName = (name: string): string => clip(name);

/**
 * Bytes of a tensor of this shape, exactly, or Infinity when that is above 2^53 (the products of a corrupt
 * header's dimensions would otherwise round, or become Infinity × 0 = NaN for a shape holding a 0).
 */
function byteSize(shape: readonly number[], bytesPerElement: number): number {
  if (shape.includes(0)) return 0;
  let n = bytesPerElement;
  for (const d of shape) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return Infinity;
  }
  return n;
}

/**
 * Parse and validate a header. `headerLen` is N, `fileSize` the size of the whole file; `where` names the file in
 * errors. Exported so that the checks can be tested without files.
 */
export function parseSafetensorsHeader(
  json: string,
  headerLen: number,
  fileSize: number,
  where: string,
): SafetensorsHeader {
  const dataStart = 8 + headerLen;
  const dataSize = fileSize - dataStart;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new UserError(
      `${where}: the header is not valid JSON (${(err as Error).message}); the file is corrupt or not safetensors`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserError(
      `${where}: the header must be a JSON object of tensors, got ${Array.isArray(raw) ? 'an array' : typeof raw}`,
    );
  }
  const entries = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    if (name === '__metadata__') {
      // strings only, as the reference reader requires (String() of a value nested 100 000 deep would overflow)
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new UserError(`${where}: "__metadata__" must be an object of strings, got ${preview(value)}`);
      }
      const bad = Object.entries(value).find(([, v]) => typeof v !== 'string');
      if (bad)
        throw new UserError(
          `${where}: "__metadata__" must be an object of strings; '${shortName(bad[0])}' is ${preview(bad[1])}`,
        );
      metadata = { ...(value as Record<string, string>) };
      continue;
    }
    const at = `${where}, tensor '${shortName(name)}'`;
    if (typeof value !== 'object' || value === null) throw new UserError(`${at}: header entry is not an object`);
    const {
      dtype: st,
      shape,
      data_offsets: off,
    } = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof st !== 'string') throw new UserError(`${at}: missing "dtype"`);
    // not 'constructor' → Object
    const dtype = Object.hasOwn(SAFETENSORS_DTYPE, st) ? SAFETENSORS_DTYPE[st] : undefined;
    if (!dtype) {
      throw new UserError(
        `${at}: unknown dtype '${shortName(st)}' (supported: ${Object.keys(SAFETENSORS_DTYPE).join(', ')})`,
      );
    }
    const isCount = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) >= 0;
    if (!Array.isArray(shape) || !shape.every(isCount))
      throw new UserError(`${at}: "shape" must be an array of non-negative integers, got ${preview(shape)}`);
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isCount) || off[0] > off[1]) {
      throw new UserError(`${at}: "data_offsets" must be [begin, end] with 0 <= begin <= end, got ${preview(off)}`);
    }
    const [begin, end] = off as [number, number];
    const need = byteSize(shape as number[], BYTES[dtype]);
    if (end - begin !== need) {
      throw new UserError(
        `${at}: shape [${(shape as number[]).slice(0, 8).join(', ')}${shape.length > 8 ? ', …' : ''}] of ${st} needs ` +
          `${Number.isFinite(need) ? need : 'more than 2^53'} bytes ` +
          `but data_offsets [${begin}, ${end}] span ${end - begin}; the header is corrupt`,
      );
    }
    entries.set(name, { name, dtype, shape: shape.slice(), begin, end });
  }

  // Out of file first: that is what a truncated download looks like, and the most useful thing to say.
  const sorted = [...entries.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  const beyond = sorted.find((e) => e.end > dataSize);
  if (beyond) {
    // a loop, not Math.max(...ends): spreading 200 000 entries as arguments overflows the stack
    const needSize = dataStart + sorted.reduce((m, e) => Math.max(m, e.end), 0);
    throw new UserError(
      `${where}: the file is truncated: tensor '${shortName(beyond.name)}' occupies data bytes ` +
        `${beyond.begin}..${beyond.end} but the data area has only ${Math.max(dataSize, 0)} bytes ` +
        `(file is ${fileSize} bytes, the header says ${needSize}). Download or copy it again.`,
    );
  }
  let pos = 0;
  let prev: TensorEntry | undefined;
  for (const e of sorted) {
    if (e.begin < pos) {
      throw new UserError(
        `${where}: tensors '${shortName(prev!.name)}' [${prev!.begin}, ${prev!.end}] ` +
          `and '${shortName(e.name)}' [${e.begin}, ${e.end}] overlap; the header is corrupt`,
      );
    }
    if (e.begin > pos) {
      const what = prev
        ? `between tensors '${shortName(prev.name)}' and '${shortName(e.name)}'`
        : `at the start of the data area, before tensor '${shortName(e.name)}'`;
      throw new UserError(
        `${where}: ${e.begin - pos} unused bytes ${what} (safetensors data must be contiguous); the header is corrupt`,
      );
    }
    pos = e.end;
    prev = e;
  }
  if (pos !== dataSize) {
    throw new UserError(
      `${where}: ${dataSize - pos} bytes after the last tensor's data ` +
        `(expected the file to end at byte ${dataStart + pos}); the file is corrupt`,
    );
  }
  return { dataStart, entries, metadata };
}

/**
 * N, the header length, from the first 8 bytes of a file of `size` bytes, checked before anything of that size is
 * read or allocated: at most MAX_HEADER_BYTES, and inside the file.
 */
function headerLength(first: Uint8Array, size: number, where: string): number {
  if (size < 8)
    throw new UserError(`${where} has ${size} bytes: too small for the 8-byte header length; it is empty or truncated`);
  const n64 = new DataView(first.buffer, first.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES)) {
    throw new UserError(
      `${where}: header length ${n64} is absurd (limit ${MAX_HEADER_BYTES} bytes); ` +
        `this is not a safetensors file.${sniff(first)}`,
    );
  }
  const n = Number(n64);
  if (8 + n > size) {
    throw new UserError(
      `${where}: header length ${n} runs past the end of the file (${size} bytes): ` +
        `the file is truncated or not safetensors.${sniff(first)}`,
    );
  }
  return n;
}

/**
 * Parse and validate the header of a whole safetensors file held in memory, with the same checks as
 * SafetensorsFile.open (which reads only the header of a file): for bytes received over a network, and for tests.
 * Tensor `e` is `bytes.subarray(dataStart + e.begin, dataStart + e.end)`.
 */
export function parseSafetensorsBytes(bytes: Uint8Array, where = 'safetensors data'): SafetensorsHeader {
  const n = headerLength(bytes.subarray(0, 8), bytes.length, where);
  return parseSafetensorsHeader(new TextDecoder().decode(bytes.subarray(8, 8 + n)), n, bytes.length, where);
}

/** An open safetensors file. Reads tensors on demand; call `close()` when done. */
export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
    readonly fileSize: number,
    private readonly header: SafetensorsHeader,
  ) {}

  /** Open a file and validate its header (reads 8 + N bytes only). */
  static async open(path: string): Promise<SafetensorsFile> {
    assertLittleEndian();
    const where = `safetensors file '${path}'`;
    let fh: FileHandle;
    try {
      fh = await openFile(path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      throw new UserError(
        code === 'ENOENT' ? `${where} does not exist` : `cannot open ${where}: ${(err as Error).message}`,
      );
    }
    try {
      const { size } = await fh.stat();
      const n = headerLength(size < 8 ? new Uint8Array(0) : await readAt(fh, 0, 8, where), size, where);
      const json = new TextDecoder().decode(await readAt(fh, 8, n, where));
      const header = parseSafetensorsHeader(json, n, size, where);
      return new SafetensorsFile(path, fh, size, header);
    } catch (err) {
      await fh.close();
      throw err;
    }
  }

  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  get dataStart(): number {
    return this.header.dataStart;
  }

  /** Tensor names in header order. */
  keys(): string[] {
    return [...this.header.entries.keys()];
  }

  has(name: string): boolean {
    return this.header.entries.has(name);
  }

  /** The stored shape of a tensor (with keys() and readF32(), a file is a TensorSource for loadParameters). */
  shape(name: string): number[] {
    return this.entry(name).shape;
  }

  /** The header entry of a tensor; throws naming the file if absent. */
  entry(name: string): TensorEntry {
    const e = this.header.entries.get(name);
    if (!e) throw new UserError(`safetensors file '${this.path}' has no tensor '${name}'`);
    return e;
  }

  /** Read one tensor in its stored dtype. */
  async read(name: string): Promise<HostTensor> {
    const e = this.entry(name);
    const n = numel(e.shape);
    return { dtype: e.dtype, shape: e.shape.slice(), data: await this.readElements(name, 0, n) };
  }

  /** Read one float tensor as float32 (bf16/f16/f8/f64 are converted exactly or rounded, see io/floats.ts). */
  async readF32(name: string): Promise<Float32Array> {
    return toFloat32(await this.read(name));
  }

  /** Read elements [start, start + count) of a tensor (flat, row-major) in the stored dtype. */
  async readElements(name: string, start: number, count: number): Promise<HostArray> {
    const e = this.entry(name);
    const total = numel(e.shape);
    if (
      !(
        Number.isSafeInteger(start) &&
        Number.isSafeInteger(count) &&
        start >= 0 &&
        count >= 0 &&
        start + count <= total
      )
    ) {
      throw new RangeError(
        `safetensors file '${this.path}', tensor '${name}': ` +
          `elements [${start}, ${start + count}) outside [0, ${total})`,
      );
    }
    const size = BYTES[e.dtype];
    const out = allocHost(e.dtype, count);
    const bytes = new Uint8Array(out.buffer, out.byteOffset, count * size);
    await readInto(
      this.fh,
      this.header.dataStart + e.begin + start * size,
      bytes,
      `safetensors file '${this.path}', tensor '${name}'`,
    );
    return out;
  }

  /** Stream a tensor in pieces of at most `maxElements` elements (for converting huge tensors in little memory). */
  async *chunks(name: string, maxElements = READ_CHUNK): AsyncGenerator<{ start: number; data: HostArray }> {
    const total = numel(this.entry(name).shape);
    const step = Math.max(1, Math.floor(maxElements));
    for (let start = 0; start < total; start += step) {
      const count = Math.min(step, total - start);
      yield { start, data: await this.readElements(name, start, count) };
    }
  }

  async close(): Promise<void> {
    await this.fh.close();
  }
}

async function readInto(fh: FileHandle, position: number, into: Uint8Array, where: string): Promise<void> {
  let done = 0;
  while (done < into.length) {
    const length = Math.min(READ_CHUNK, into.length - done);
    const { bytesRead } = await fh.read(into, done, length, position + done);
    if (bytesRead === 0)
      throw new UserError(
        `${where}: unexpected end of file at byte ${position + done} (was the file truncated while open?)`,
      );
    done += bytesRead;
  }
}

async function readAt(fh: FileHandle, position: number, length: number, where: string): Promise<Uint8Array> {
  const out = new Uint8Array(length);
  await readInto(fh, position, out, where);
  return out;
}

/** Read a whole (small) file into a name → tensor record: for fixtures and tests. */
export async function readSafetensors(path: string): Promise<Record<string, HostTensor>> {
  const f = await SafetensorsFile.open(path);
  try {
    const out: Record<string, HostTensor> = {};
    for (const k of f.keys()) out[k] = await f.read(k);
    return out;
  } finally {
    await f.close();
  }
}

// ---------------------------------------------------------------- writer
/** A tensor whose data is produced only when the writer reaches it (convert/quantize one tensor at a time). */
export interface LazyTensor {
  dtype: DType;
  shape: number[];
  data: () => HostArray | Promise<HostArray>;
}

export type WritableTensor = HostTensor | LazyTensor;

/**
 * Write a safetensors file, one tensor at a time, in the given order. The header is padded with spaces to a multiple
 * of 8 bytes (as the reference writer does), so the data area is 8-byte aligned. Lazy tensors are materialised
 * one at a time. The file is written under a temporary name and renamed at the end, so a failed write leaves no
 * half-written checkpoint behind.
 */
export async function writeSafetensors(
  path: string,
  tensors: Record<string, WritableTensor> | Map<string, WritableTensor>,
  metadata?: Record<string, string>,
): Promise<void> {
  assertLittleEndian();
  const list = tensors instanceof Map ? [...tensors] : Object.entries(tensors);
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of list) {
    if (name === '__metadata__' || name.length === 0)
      throw new Error(`writeSafetensors('${path}'): invalid tensor name '${name}'`);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`writeSafetensors('${path}'), tensor '${name}': bad shape [${t.shape.join(', ')}]`);
    }
    const bytes = numel(t.shape) * BYTES[t.dtype];
    header[name] = { dtype: DTYPE_SAFETENSORS[t.dtype], shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  const enc = new TextEncoder();
  const jsonLen = enc.encode(json).length;
  json += ' '.repeat((8 - ((8 + jsonLen) % 8)) % 8);
  const headerBytes = enc.encode(json);

  const tmp = `${path}.partial-${process.pid}`;
  const fh = await openFile(tmp, 'w');
  try {
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
    await writeAll(fh, len);
    await writeAll(fh, headerBytes);
    for (const [name, t] of list) {
      const data = typeof t.data === 'function' ? await t.data() : t.data;
      const n = numel(t.shape);
      if (data.length !== n) {
        throw new Error(
          `writeSafetensors('${path}'), tensor '${name}': ${t.dtype}[${t.shape.join(', ')}] needs ` +
            `${n} elements, got ${data.length}`,
        );
      }
      if (data.BYTES_PER_ELEMENT !== BYTES[t.dtype]) {
        throw new Error(
          `writeSafetensors('${path}'), tensor '${name}': data array has ${data.BYTES_PER_ELEMENT}-byte elements, ` +
            `${t.dtype} needs ${BYTES[t.dtype]}`,
        );
      }
      await writeAll(fh, new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    }
    await fh.close();
  } catch (err) {
    await fh.close().catch(() => {});
    await rm(tmp, { force: true });
    throw err;
  }
  await rename(tmp, path);
}

async function writeAll(fh: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let done = 0; done < bytes.length; ) {
    const { bytesWritten } = await fh.write(bytes, done, Math.min(READ_CHUNK, bytes.length - done));
    done += bytesWritten;
  }
}

/** Is this path an existing regular file? (used by the checkpoint layout detection) */
export async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}
