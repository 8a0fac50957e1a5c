// safetensors fetched over HTTP into a page: the whole file in memory, its header checked by the same parser the
// Node reader uses (parseSafetensorsBytes), tensors copied out on request. A TensorSource, so loadParameters
// takes it like a file, and a FixtureFile, so the shared reference cases (src/verify/cases.ts) read it like one.

import { allocHost, type HostTensor, numel } from '../engine/dtype.ts';
import { toFloat32 } from '../io/floats.ts';
import { parseSafetensorsBytes, type SafetensorsHeader } from '../io/safetensors.ts';
import type { FixtureFile } from '../verify/cases.ts';

export class FetchedSafetensors implements FixtureFile {
  private constructor(
    readonly url: string,
    private readonly bytes: Uint8Array,
    private readonly header: SafetensorsHeader,
  ) {}

  static async fetch(url: string): Promise<FetchedSafetensors> {
    const res = await fetch(url);
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    return new FetchedSafetensors(url, bytes, parseSafetensorsBytes(bytes, `safetensors '${url}'`));
  }

  keys(): string[] {
    return [...this.header.entries.keys()];
  }

  /** the header's "__metadata__" strings */
  get metadata(): Record<string, string> {
    return this.header.metadata;
  }

  has(key: string): boolean {
    return this.header.entries.has(key);
  }

  shape(key: string): number[] {
    return [...this.entry(key).shape];
  }

  /** A copy (typed arrays need aligned offsets; the data area is not aligned). */
  read(key: string): HostTensor {
    const e = this.entry(key);
    const data = allocHost(e.dtype, numel(e.shape));
    new Uint8Array(data.buffer).set(
      this.bytes.subarray(this.header.dataStart + e.begin, this.header.dataStart + e.end),
    );
    return { dtype: e.dtype, shape: [...e.shape], data };
  }

  async readF32(key: string): Promise<Float32Array> {
    return toFloat32(this.read(key));
  }

  /** Nothing to release (the bytes are garbage-collected); for parity with a file. */
  close(): Promise<void> {
    return Promise.resolve();
  }

  private entry(key: string) {
    const e = this.header.entries.get(key);
    if (!e) throw new Error(`${this.url} has no tensor '${key}'`);
    return e;
  }
}
