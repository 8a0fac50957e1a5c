// Host tensors ↔ ONNX Runtime tensors, for both runtimes: onnxruntime-node (session.ts) and onnxruntime-web
// (src/browser/session.ts) export the same Tensor class from onnxruntime-common, but each module must use its own
// import, so the conversion is written once here and handed the runtime's Tensor constructor.

import type { DType, HostArray, HostTensor } from './dtype.ts';

/** The host dtypes ONNX Runtime takes as they are (bf16 and f8 are converted before they get here). */
const ORT_TYPE: Partial<Record<DType, string>> = {
  float32: 'float32',
  float64: 'float64',
  float16: 'float16',
  int64: 'int64',
  int32: 'int32',
  int8: 'int8',
  uint8: 'uint8',
  bool: 'bool',
};

/** What both runtimes' tensors have in common. */
export interface OrtTensorLike {
  readonly type: string;
  readonly dims: readonly number[];
  readonly data: unknown;
}

/** toOrt / fromOrt for one runtime, given how it makes a tensor. */
export function ortTensorCodec<T extends OrtTensorLike>(make: (type: string, data: HostArray, dims: number[]) => T) {
  return {
    toOrt(t: HostTensor): T {
      const type = ORT_TYPE[t.dtype];
      if (!type) throw new Error(`dtype ${t.dtype} cannot be passed to ONNX Runtime directly; convert it first`);
      return make(type, t.data, t.shape);
    },
    fromOrt(t: T): HostTensor {
      const dtype = (Object.keys(ORT_TYPE) as DType[]).find((d) => ORT_TYPE[d] === t.type);
      if (!dtype) throw new Error(`unsupported ORT output type ${t.type}`);
      return { dtype, shape: [...t.dims], data: t.data as HostArray };
    },
  };
}
