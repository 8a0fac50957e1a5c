// Modules and parameters, as in torch.nn: a tree of named submodules whose parameter names are exactly the
// checkpoint key names (`double_blocks.0.img_attn.qkv.weight`), so loading a checkpoint is a walk over the tree.

import { type DType, type HostTensor, numel } from './dtype.ts';
import { withPath } from './path.ts';

/**
 * int4/int8 block-quantized weight of a Linear layer in the layout of ORT's `MatMulNBits` (com.microsoft):
 * W [N, K] is cut into blocks of `blockSize` along K; each block stores unsigned codes q with
 * w ≈ scale · (q − zeroPoint). `packed` is [N, K/blockSize, blockSize·bits/8] bytes (low nibble first for int4).
 */
export interface QuantizedWeight {
  bits: 4 | 8;
  blockSize: number;
  N: number;
  K: number;
  packed: Uint8Array;
  scales: Float32Array; // [N · K/blockSize]
  zeroPoints: Uint8Array; // packed like the codes: [N · ceil(K/blockSize · bits / 8)]
  /** MatMulNBits accuracy_level: 0 computes in float32 (default); 4 quantizes activations to int8 (faster on CPU) */
  accuracyLevel?: number;
}

/** Shapes of the stored parts of a quantized weight (as MatMulNBits takes them). */
export function quantPartShape(q: QuantizedWeight, part: 'packed' | 'scales' | 'zeroPoints'): number[] {
  const kBlocks = q.K / q.blockSize;
  if (part === 'packed') return [q.N, kBlocks, (q.blockSize * q.bits) / 8];
  if (part === 'scales') return [q.N * kBlocks];
  return [q.N * Math.ceil((kBlocks * q.bits) / 8)];
}

let nextParamId = 0;

export class Parameter {
  readonly id = nextParamId++;
  /** Full key in the module tree, e.g. 'double_blocks.0.img_attn.qkv.weight' (set when attached). */
  key = '';
  /** The value, or null until loaded. Replace it with `set`, which bumps `version` (sessions key on it). */
  value: HostTensor | null = null;
  quant: QuantizedWeight | null = null;
  /** Directory holding this parameter's data as files (see spill.ts); its host arrays are then released. */
  spilled: string | null = null;
  /** Read by rows (an embedding table: Gather, Slice), never multiplied as a matrix: loaders keep it float, since
   *  MatMulNBits' block quantization only serves Linear weights (see Embedding in nn.ts). */
  lookup = false;
  version = 0;
  constructor(
    readonly shape: number[],
    public dtype: DType = 'float32',
  ) {}

  /**
   * Hold this parameter in another float dtype from now on (float64 for exact gradient checks); a float32 or
   * float64 value is converted.
   */
  castTo(dtype: 'float32' | 'float64'): this {
    const v = this.value;
    if (this.quant || this.spilled) throw new Error(`parameter ${this.key}: cannot cast a quantized or spilled weight`);
    if (v && v.dtype !== 'float32' && v.dtype !== 'float64')
      throw new Error(`parameter ${this.key}: cannot cast ${v.dtype}`);
    this.dtype = dtype;
    if (v)
      this.set({
        dtype,
        shape: [...this.shape],
        data:
          dtype === 'float64' ? Float64Array.from(v.data as Float32Array) : Float32Array.from(v.data as Float64Array),
      });
    return this;
  }

  get numel(): number {
    return numel(this.shape);
  }

  set(value: HostTensor): this {
    if (value.shape.length !== this.shape.length || value.shape.some((d, i) => d !== this.shape[i])) {
      throw new Error(`parameter ${this.key}: expected shape [${this.shape}], got [${value.shape}]`);
    }
    if (value.dtype !== this.dtype)
      throw new Error(`parameter ${this.key}: expected ${this.dtype}, got ${value.dtype}`);
    this.value = value;
    this.quant = null;
    this.spilled = null;
    this.version++;
    return this;
  }

  setQuantized(q: QuantizedWeight): this {
    if (this.shape.length !== 2 || q.N !== this.shape[0] || q.K !== this.shape[1]) {
      throw new Error(`parameter ${this.key}: quantized weight is [${q.N},${q.K}], expected [${this.shape}]`);
    }
    this.quant = q;
    this.value = null;
    this.spilled = null;
    this.version++;
    return this;
  }
}

export class Module {
  /** Dotted path of this module in the tree ('' for the root). */
  path = '';
  private readonly _children = new Map<string, Module>();
  private readonly _params = new Map<string, Parameter>();

  /** Register a parameter under `name` (its key becomes `<path>.<name>`). */
  protected param(name: string, shape: number[], dtype: DType = 'float32'): Parameter {
    const p = new Parameter(shape, dtype);
    this._params.set(name, p);
    p.key = this.path ? `${this.path}.${name}` : name;
    return p;
  }

  /** Register a submodule under `name`; returns it. */
  protected child<M extends Module>(name: string, m: M): M {
    this._children.set(name, m);
    m.setPath(this.path ? `${this.path}.${name}` : name);
    return m;
  }

  private setPath(path: string): void {
    this.path = path;
    for (const [name, p] of this._params) p.key = path ? `${path}.${name}` : name;
    for (const [name, c] of this._children) c.setPath(path ? `${path}.${name}` : name);
  }

  /** Run model code with this module's path active, so errors and node names say where they come from. */
  protected scope<T>(fn: () => T): T {
    return withPath(this.path, fn);
  }

  *namedParameters(): Generator<[string, Parameter]> {
    for (const p of this._params.values()) yield [p.key, p];
    for (const c of this._children.values()) yield* c.namedParameters();
  }

  parameters(): Parameter[] {
    return [...this.namedParameters()].map(([, p]) => p);
  }

  /** Every parameter in `dtype` (see Parameter.castTo); model code follows its inputs' dtype. */
  castParameters(dtype: 'float32' | 'float64'): this {
    for (const p of this.parameters()) p.castTo(dtype);
    return this;
  }

  /** Expected checkpoint keys and shapes of this module tree. */
  shapes(): Map<string, number[]> {
    return new Map([...this.namedParameters()].map(([k, p]) => [k, p.shape]));
  }
}

/** torch.nn.ModuleList: children named 0, 1, 2, ... */
export class ModuleList<M extends Module> extends Module {
  readonly items: M[];
  constructor(items: M[]) {
    super();
    this.items = items.map((m, i) => this.child(String(i), m));
  }
}
