// The public API of kontext: prompt and images → tokens → transformer → latents → image.
export { KontextPipeline, type KontextOptions, type KontextResult, type PipelineConfig } from './pipeline/kontext.ts';
export { checkTransformerMemory, estimateTransformerMemory } from './pipeline/memory.ts';
export { loadFlux, type LoadFluxOptions } from './transformer/load.ts';
export { Flux, fluxGraph } from './transformer/model.ts';
export { FLUX_KONTEXT_DEV, type FluxParams } from './transformer/params.ts';
export { loadAutoEncoder } from './autoencoder/load.ts';
export { AutoEncoder } from './autoencoder/model.ts';
export { FLUX_AE, type AutoEncoderParams } from './autoencoder/params.ts';
export { loadPromptEmbeds, saveEmbeds, type PromptEmbeds, type TextEncoder } from './prompt/embeddings.ts';
export { FluxTextEncoder, type FluxTextEncoderPaths } from './prompt/flux-text-encoder.ts';
export { EmbeddingCache, embeddingCache } from './prompt/embedding-cache.ts';
export {
  inspectKontext,
  loadKontextPipeline,
  openKontext,
  type KontextFiles,
  type KontextLoadOptions,
} from './pipeline/load.ts';
export {
  MiniEditor,
  type MiniEditOptions,
  type MiniEditorOptions,
  type MiniEditResult,
} from './mini/editor.ts';
export { EMBEDDED_MODEL } from './mini/embedded.ts';
export { readImage, writePng, encodePng, type RGBImage } from './image/rgb.ts';
export { resampleLanczos } from './image/resample.ts';
export { chooseBucket, kontextBuckets, preprocessKontextImage } from './image/preprocess.ts';
export { denoise } from './sampling/denoise.ts';
export { fluxNoise, randn } from './sampling/noise.ts';
export { getSchedule } from './sampling/schedule.ts';
export { openCheckpoint } from './checkpoint/source.ts';
export { readSafetensors, SafetensorsFile, writeSafetensors } from './io/safetensors.ts';
export { verifyFolder } from './verify/fixtures.ts';
export { UserError } from './errors.ts';
export * as engine from './engine/index.ts';
