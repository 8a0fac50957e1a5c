// The engine: TypeScript graph builder on ONNX Runtime, with autodiff and one-graph training steps.
export * from './dtype.ts';
export * from './graph.ts';
export * from './module.ts';
export * as F from './ops.ts';
export * from './session.ts';
export * from './nn.ts';
export { grad, gradients } from './autodiff.ts';
export * from './init.ts';
export * from './random.ts';
export * from './optim.ts';
export * from './train.ts';
export * from './quantize.ts';
export * from './load.ts';
export * from './spill.ts';
export { liveSessionCount, releaseAllSessions } from './lifetime.ts';
export type { WeightsMode } from './shared-weights.ts';
