// Fuzzing the safetensors reader: random and mutated files, byte by byte and field by field. Every input must give
// a header whose tensors tile the data area of the bytes given (so no tensor can be read or allocated beyond the
// file), or a UserError with a message; never another error, never a stack overflow, never a hang.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BYTES, numel } from '../../src/engine/dtype.ts';
import { UserError } from '../../src/errors.ts';
import {
  MAX_HEADER_BYTES,
  parseSafetensorsBytes,
  parseSafetensorsHeader,
  SAFETENSORS_DTYPE,
  SafetensorsFile,
  type SafetensorsHeader,
} from '../../src/io/safetensors.ts';
import { check, deepArrayText, fc, hostileJsonText, outcome, valueOrDocumentedError } from './fuzz.ts';
import { joinRegExp } from '../regex.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'kontext-fuzz-st-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ST_DTYPES = Object.keys(SAFETENSORS_DTYPE);
const enc = new TextEncoder();

/** A header as a list of raw JSON texts, so that mutations can put any text (even invalid JSON) in any place. */
interface Draft {
  entries: [key: string, value: string][];
  data: Uint8Array;
  /** replaces the true header length in the first 8 bytes */
  lengthField?: bigint;
  pad: number;
}

function bytesOf(d: Draft): Uint8Array {
  const json = enc.encode(`{${d.entries.map(([k, v]) => `${k}:${v}`).join(',')}}${' '.repeat(d.pad)}`);
  const out = new Uint8Array(8 + json.length + d.data.length);
  new DataView(out.buffer).setBigUint64(0, d.lengthField ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(d.data, 8 + json.length);
  return out;
}

/** A valid file: tensors of small random shapes laid out one after another. */
const validDraft: fc.Arbitrary<Draft> = fc
  .record({
    tensors: fc.uniqueArray(
      fc.record({
        name: fc.string({ minLength: 1, maxLength: 10 }),
        dtype: fc.constantFrom(...ST_DTYPES),
        shape: fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 }),
      }),
      { selector: (t) => t.name, maxLength: 5 },
    ),
    metadata: fc.option(fc.dictionary(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 }), { maxKeys: 3 }), {
      nil: undefined,
    }),
    pad: fc.integer({ min: 0, max: 7 }),
    seed: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ tensors, metadata, pad, seed }) => {
    const entries: [string, string][] = metadata ? [['"__metadata__"', JSON.stringify(metadata)]] : [];
    let offset = 0;
    for (const t of tensors.filter((x) => x.name !== '__metadata__')) {
      const size = numel(t.shape) * BYTES[SAFETENSORS_DTYPE[t.dtype]];
      entries.push([
        JSON.stringify(t.name),
        JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] }),
      ]);
      offset += size;
    }
    const data = new Uint8Array(offset).map((_, i) => (i * 31 + seed) & 255);
    return { entries, data, pad };
  });

/** The object a JSON text holds, or undefined (an earlier mutation may have left any text there). */
function objectOf(text: string): Record<string, unknown> | undefined {
  try {
    const v = JSON.parse(text);
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

/** Put raw JSON text in one field of an entry that holds an object (its other fields may be nested 100 000 deep). */
function setField(e: [string, string], field: string, text: string): void {
  const v = objectOf(e[1]);
  if (!v) return;
  try {
    e[1] = `{${Object.entries(v)
      .map(([k, x]) => `${JSON.stringify(k)}:${k === field ? text : JSON.stringify(x)}`)
      .join(',')}}`;
    if (!(field in v))
      e[1] = `${e[1].slice(0, -1)}${Object.keys(v).length ? ',' : ''}${JSON.stringify(field)}:${text}}`;
  } catch {
    // a field nested too deep to write back: leave the entry as it is
  }
}

/** Field-level mutations of a valid draft. */
type FieldMutation = (d: Draft, r: { pick: number; text: string; n: number; big: bigint }) => void;
const fieldMutations: FieldMutation[] = [
  // a field of an entry replaced by hostile JSON text
  (d, { pick, text }) => {
    const e = d.entries[pick % Math.max(1, d.entries.length)];
    const v = e && e[0] !== '"__metadata__"' ? objectOf(e[1]) : undefined;
    if (!e || !v) return void d.entries.push(['"t"', `{"dtype":"F32","shape":${text},"data_offsets":[0,0]}`]);
    setField(e, ['dtype', 'shape', 'data_offsets'][pick % 3], text);
  },
  // a whole entry replaced by hostile text
  (d, { pick, text }) => {
    if (d.entries.length) d.entries[pick % d.entries.length][1] = text;
    else d.entries.push(['"x"', text]);
  },
  // another dtype for the same bytes: a size mismatch, a dtype we lack, or a name of Object.prototype's members
  (d, { pick, n }) => {
    const names = [
      ...ST_DTYPES,
      'constructor',
      '__proto__',
      'toString',
      'valueOf',
      'f32',
      'I16',
      'U16',
      'F8',
      'BF16 ',
      '',
    ];
    const e = d.entries.filter(([k, x]) => k !== '"__metadata__"' && objectOf(x))[n % Math.max(1, d.entries.length)];
    if (e) setField(e, 'dtype', JSON.stringify(names[pick % names.length]));
  },
  // __metadata__ holding anything
  (d, { text }) => void d.entries.unshift(['"__metadata__"', text]),
  (d, { text }) => void d.entries.unshift(['"__metadata__"', `{"k":${text}}`]),
  // offsets anywhere around the data area: overlaps, gaps, out of range, reversed
  (d, { pick, n }) => {
    const e = d.entries.find(([k, x]) => k !== '"__metadata__"' && objectOf(x));
    if (e) setField(e, 'data_offsets', JSON.stringify([n % (d.data.length + 9), (n + pick) % (d.data.length + 17)]));
  },
  // a huge tensor whose offsets agree with its shape: must be refused against the file size, before any allocation
  (d, { pick }) => {
    const dims = [[1e15], [2 ** 26, 2 ** 27], [1e5, 1e5, 1e5], [2 ** 31], [9007199254740991, 1]][pick % 5];
    const bytes = Math.min(
      Number.MAX_SAFE_INTEGER,
      dims.reduce((a, b) => a * b, 1),
    );
    d.entries.push(['"huge"', JSON.stringify({ dtype: 'U8', shape: dims, data_offsets: [0, bytes] })]);
  },
  // a key that is a prototype name or empty, or a duplicate
  (d, { pick }) => {
    const key = ['"__proto__"', '""', '"constructor"', d.entries[0]?.[0] ?? '"a"'][pick % 4];
    d.entries.push([key, JSON.stringify({ dtype: 'F32', shape: [0], data_offsets: [0, 0] })]);
  },
  // the header length field: 0, off by a little, past the file, past the limit, up to 2^64 - 1
  (d, { big }) => void (d.lengthField = big),
  // not JSON at all, or JSON of another kind
  (d, { text }) =>
    void (d.entries = [
      ['"a"', text],
      ['', text],
    ]),
];

const bigLengths = fc.oneof(
  fc.bigInt({ min: 0n, max: 400n }),
  fc.constantFrom(BigInt(MAX_HEADER_BYTES), BigInt(MAX_HEADER_BYTES) + 1n, 2n ** 63n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);

const mutatedDraft: fc.Arbitrary<Draft> = fc
  .tuple(
    validDraft,
    fc.array(fc.record({ which: fc.nat(), pick: fc.nat(), text: hostileJsonText, n: fc.nat(), big: bigLengths }), {
      minLength: 1,
      maxLength: 3,
    }),
  )
  .map(([d, ms]) => {
    for (const m of ms) fieldMutations[m.which % fieldMutations.length](d, m);
    return d;
  });

/** Byte-level mutations of an encoded file: overwrite, truncate, append, splice garbage. */
const mutatedBytes: fc.Arbitrary<Uint8Array> = fc
  .tuple(
    fc.oneof(validDraft, mutatedDraft).map(bytesOf),
    fc.array(
      fc.record({
        kind: fc.integer({ min: 0, max: 3 }),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
        len: fc.integer({ min: 1, max: 64 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
  )
  .map(([bytes, ms]) => {
    let b = bytes;
    for (const m of ms) {
      const at = b.length ? m.at % b.length : 0;
      if (m.kind === 0 && b.length) b[at] = m.byte;
      else if (m.kind === 1) b = b.subarray(0, at);
      else if (m.kind === 2) b = Uint8Array.from([...b, ...new Uint8Array(m.len).fill(m.byte)]);
      else b = Uint8Array.from([...b.subarray(0, at), ...new Uint8Array(m.len).fill(m.byte), ...b.subarray(at)]);
    }
    return b;
  });

const anyBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: validDraft.map(bytesOf) },
  { weight: 4, arbitrary: mutatedDraft.map(bytesOf) },
  { weight: 4, arbitrary: mutatedBytes },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
);

/** A header text with the size of the data area after it: random, or a (mutated) valid header with its own size ± 1. */
const headerAndDataSize: fc.Arbitrary<[string, number]> = fc.oneof(
  fc.tuple(fc.oneof(hostileJsonText, fc.string({ maxLength: 40 })), fc.integer({ min: 0, max: 64 })),
  fc
    .tuple(fc.oneof(validDraft, mutatedDraft), fc.constantFrom(0, 0, 0, 1, -1))
    .map(([d, delta]): [string, number] => [
      `{${d.entries.map(([k, v]) => `${k}:${v}`).join(',')}}`,
      Math.max(0, d.data.length + delta),
    ]),
);

/** What a successful parse promises: tensors with valid dtypes and shapes that tile the data area of the bytes. */
function expectValidHeader(h: SafetensorsHeader, fileSize: number): void {
  const dataSize = fileSize - h.dataStart;
  expect(dataSize).toBeGreaterThanOrEqual(0);
  for (const v of Object.values(h.metadata)) expect(typeof v).toBe('string');
  const sorted = [...h.entries.values()].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    expect(Object.values(SAFETENSORS_DTYPE)).toContain(e.dtype);
    for (const d of e.shape) expect(Number.isSafeInteger(d) && d >= 0).toBe(true);
    expect(e.end - e.begin).toBe(numel(e.shape) * BYTES[e.dtype]);
    expect(e.begin).toBe(pos);
    pos = e.end;
  }
  expect(pos).toBe(dataSize);
}

describe('fuzz: safetensors reader', () => {
  it('parseSafetensorsBytes: any bytes give a header that tiles the file, or a UserError', async () => {
    await check(
      'safetensors bytes',
      fc.property(anyBytes, (bytes) => {
        let h: SafetensorsHeader;
        try {
          h = parseSafetensorsBytes(bytes, 'fuzz');
        } catch (err) {
          if (err instanceof UserError && err.message.length > 0 && err.message.length < 4000)
            return void outcome('refused');
          throw err;
        }
        expectValidHeader(h, bytes.length);
        outcome('valid');
      }),
      1500,
    );
  });

  it('parseSafetensorsHeader: any JSON text and any file size give a header or a UserError', async () => {
    await check(
      'safetensors header json',
      fc.property(headerAndDataSize, ([json, extra]) => {
        let h: SafetensorsHeader;
        try {
          h = parseSafetensorsHeader(json, json.length, 8 + json.length + extra, 'fuzz');
        } catch (err) {
          if (err instanceof UserError && err.message.length > 0 && err.message.length < 4000)
            return void outcome('refused');
          throw err;
        }
        expectValidHeader(h, 8 + json.length + extra);
        outcome('valid');
      }),
      500,
    );
  });

  it('SafetensorsFile: the same verdict from a file; every tensor reads back with numel(shape) elements', async () => {
    const file = path.join(dir, 'fuzz.safetensors');
    await check(
      'safetensors file',
      fc.asyncProperty(anyBytes, async (bytes) => {
        await writeFile(file, bytes);
        let fromBytes: SafetensorsHeader | undefined;
        let bytesError = '';
        try {
          fromBytes = parseSafetensorsBytes(bytes, 'X');
        } catch (err) {
          bytesError = (err as Error).message;
        }
        const f = await valueOrDocumentedError(() => SafetensorsFile.open(file));
        if (!f) {
          outcome('refused');
          return void expect(bytesError).not.toBe('');
        }
        outcome('valid');
        try {
          expect(fromBytes).toBeDefined();
          expect(f.keys()).toEqual([...fromBytes!.entries.keys()]);
          for (const k of f.keys()) {
            const e = f.entry(k);
            const t = await f.read(k);
            expect(t.data.length).toBe(numel(e.shape));
            const stored = bytes.subarray(f.dataStart + e.begin, f.dataStart + e.end);
            expect(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength).equals(stored)).toBe(true);
          }
        } finally {
          await f.close();
        }
      }),
      250,
      { timeout: 10_000 },
    );
  });
});

// Each found bug, kept as an example (each was a RangeError or a wrong result before the fix).
describe('safetensors regressions found by fuzzing', () => {
  const parse =
    (json: string, dataSize = 0) =>
    () =>
      parseSafetensorsHeader(json, json.length, 8 + json.length + dataSize, 'f');

  it('a shape, offsets or metadata value nested 100 000 deep is a UserError, not a stack overflow', () => {
    const deep = deepArrayText(100_000);
    expect(parse(`{"a":{"dtype":"F32","shape":${deep},"data_offsets":[0,0]}}`)).toThrow(UserError);
    expect(parse(`{"a":{"dtype":"F32","shape":[],"data_offsets":${deep}}}`)).toThrow(
      /"data_offsets" must be \[begin, end\].*got \[\[\[\[…\]\]\]\]/,
    );
    expect(parse(`{"__metadata__":{"k":${deep}}}`)).toThrow(/"__metadata__" must be an object of strings; 'k' is \[/);
    expect(parse(`{"__metadata__":${deep}}`)).toThrow(UserError);
  });

  it("a dtype named like a member of Object.prototype ('__proto__', 'constructor') is unknown, not an object", () => {
    for (const dt of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(parse(`{"a":{"dtype":"${dt}","shape":[0],"data_offsets":[0,0]}}`)).toThrow(
        `tensor 'a': unknown dtype '${dt}'`,
      );
    }
  });

  it('metadata values must be strings, as in the reference reader', () => {
    expect(parse('{"__metadata__":{"format":"pt","n":3}}')).toThrow(/'n' is 3/);
    expect(parse('{"__metadata__":{"format":"pt"}}')().metadata).toEqual({ format: 'pt' });
  });

  it('a truncated file with 200 000 tensors is reported, not a stack overflow from Math.max(...ends)', () => {
    const n = 200_000;
    const entry = (i: number) => `"t${i}":{"dtype":"U8","shape":[1],"data_offsets":[${i},${i + 1}]}`;
    const json = `{${Array.from({ length: n }, (_, i) => entry(i)).join(',')}}`;
    expect(parse(json, n - 1)).toThrow(/the file is truncated: tensor 't199999'.*the header says/);
  });

  it('a header claiming a 1e15-element tensor is refused against the file size, before allocating', () => {
    const json = '{"huge":{"dtype":"F32","shape":[1000000000000000],"data_offsets":[0,4000000000000000]}}';
    expect(parse(json, 16)).toThrow(
      joinRegExp(
        /the file is truncated: tensor 'huge' occupies data bytes 0\.\.4000000000000000 but the data area /,
        /has only 16 bytes/,
      ),
    );
    // dimensions whose product passes 2^53 cannot be matched by any offsets
    expect(parse('{"h":{"dtype":"U8","shape":[134217728,134217728],"data_offsets":[0,9007199254740991]}}')).toThrow(
      /needs more than 2\^53 bytes/,
    );
  });

  it('a zero-size tensor with huge other dimensions needs 0 bytes (not Infinity × 0 = NaN)', () => {
    const big = Array(24).fill(Number.MAX_SAFE_INTEGER);
    const h = parse(`{"z":{"dtype":"F32","shape":${JSON.stringify([...big, 0])},"data_offsets":[0,0]}}`)();
    expect(h.entries.get('z')!.end).toBe(0);
  });

  it('a 50 000-character tensor name is cut in messages', () => {
    const name = 'n'.repeat(50_000);
    const err = (() => {
      try {
        parse(`{"${name}":{"dtype":"F32","shape":[1],"data_offsets":[0,3]}}`)();
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err).toBeInstanceOf(UserError);
    expect(err!.message.length).toBeLessThan(1000);
  });
});
