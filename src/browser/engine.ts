// The engine as a browser page sees it: what src/engine/index.ts exports, minus the Node-only parts (the
// onnxruntime-node session, training checkpoints on disk), with sessions on onnxruntime-web. loadParameters is
// here (from any TensorSource; its spill option needs files and fails in a page).
//
// The browser bundle (bundle.ts) resolves every import of src/engine/index.ts to this file, so model code
// (src/transformer, src/autoencoder, src/sampling) runs unchanged in a page. An export that model code needs
// and this file lacks fails the bundle at build time, naming the import.
export * from '../engine/dtype.ts';
export * from '../engine/graph.ts';
export * from '../engine/module.ts';
export * as F from '../engine/ops.ts';
export * from '../engine/nn.ts';
export { grad, gradients } from '../engine/autodiff.ts';
export * from '../engine/init.ts';
export * from '../engine/optim.ts';
export * from '../engine/quantize.ts';
export * from '../engine/load.ts';
export * from './session.ts';
