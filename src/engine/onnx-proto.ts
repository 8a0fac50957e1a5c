// A minimal protobuf writer for the ONNX messages the engine emits (onnx/onnx.proto3 field numbers).
// Only encoding is needed: we build graphs in TypeScript and hand the bytes to ONNX Runtime.
//
// Wire format reminder: every field is a key varint (field_number << 3 | wire_type) followed by the value.
// wire type 0 = varint (ints, enums), 2 = length-delimited (strings, bytes, sub-messages, packed ints),
// 5 = 32-bit (float).

class Writer {
  private chunks: Uint8Array[] = [];
  private buf = new Uint8Array(256);
  private pos = 0;
  length = 0;

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.flush();
    if (n > this.buf.length) this.buf = new Uint8Array(Math.max(n, this.buf.length * 2));
  }
  private flush(): void {
    if (this.pos > 0) this.chunks.push(this.buf.slice(0, this.pos));
    this.pos = 0;
  }
  varint(v: number | bigint): void {
    // int64 semantics: negative numbers are written as 10-byte two's complement.
    let x = BigInt.asUintN(64, BigInt(v));
    this.ensure(10);
    const start = this.pos;
    while (x >= 0x80n) {
      this.buf[this.pos++] = Number(x & 0x7fn) | 0x80;
      x >>= 7n;
    }
    this.buf[this.pos++] = Number(x);
    this.length += this.pos - start;
  }
  smallVarint(v: number): void {
    if (v < 0 || v > 0x7fffffff) {
      this.varint(v);
      return;
    }
    this.ensure(5);
    const start = this.pos;
    while (v >= 0x80) {
      this.buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buf[this.pos++] = v;
    this.length += this.pos - start;
  }
  bytes(b: Uint8Array): void {
    this.smallVarint(b.length);
    if (b.length > 4096) {
      this.flush();
      this.chunks.push(b);
    } else {
      this.ensure(b.length);
      this.buf.set(b, this.pos);
      this.pos += b.length;
    }
    this.length += b.length;
  }
  float32(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer).setFloat32(this.pos, v, true);
    this.pos += 4;
    this.length += 4;
  }
  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

const enc = new TextEncoder();

/** A message under construction: add fields in any order, then `finish()`. */
export class Msg {
  private w = new Writer();
  int(field: number, v: number | bigint): this {
    this.w.smallVarint((field << 3) | 0);
    this.w.varint(v);
    return this;
  }
  float(field: number, v: number): this {
    this.w.smallVarint((field << 3) | 5);
    this.w.float32(v);
    return this;
  }
  str(field: number, s: string): this {
    return this.bytes(field, enc.encode(s));
  }
  bytes(field: number, b: Uint8Array): this {
    this.w.smallVarint((field << 3) | 2);
    this.w.bytes(b);
    return this;
  }
  msg(field: number, m: Msg): this {
    return this.bytes(field, m.finish());
  }
  packedInts(field: number, vs: readonly (number | bigint)[]): this {
    const inner = new Writer();
    for (const v of vs) inner.varint(v);
    return this.bytes(field, inner.finish());
  }
  packedFloats(field: number, vs: readonly number[]): this {
    const b = new Uint8Array(vs.length * 4);
    const dv = new DataView(b.buffer);
    for (const [i, v] of vs.entries()) dv.setFloat32(i * 4, v, true);
    return this.bytes(field, b);
  }
  finish(): Uint8Array {
    return this.w.finish();
  }
}

// ---- ONNX field numbers (onnx.proto3) ----
export const ModelProto = { ir_version: 1, producer_name: 2, producer_version: 3, graph: 7, opset_import: 8 } as const;
export const OperatorSetIdProto = { domain: 1, version: 2 } as const;
export const GraphProto = { node: 1, name: 2, initializer: 5, input: 11, output: 12, value_info: 13 } as const;
export const NodeProto = { input: 1, output: 2, name: 3, op_type: 4, attribute: 5, domain: 7 } as const;
export const AttributeProto = { name: 1, f: 2, i: 3, s: 4, t: 5, floats: 7, ints: 8, strings: 9, type: 20 } as const;
export const AttributeType = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;
export const ValueInfoProto = { name: 1, type: 2 } as const;
export const TypeProto = { tensor_type: 1 } as const;
export const TypeProtoTensor = { elem_type: 1, shape: 2 } as const;
export const TensorShapeProto = { dim: 1 } as const;
export const Dimension = { dim_value: 1, dim_param: 2 } as const;
export const TensorProto = {
  dims: 1,
  data_type: 2,
  name: 8,
  raw_data: 9,
  external_data: 13,
  data_location: 14,
} as const;
export const StringStringEntryProto = { key: 1, value: 2 } as const;
