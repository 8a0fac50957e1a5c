// AutoEncoderParams, as black-forest-labs/flux `AutoEncoderParams` (../shared/docs/kontext-reference.md §4.1).

export interface AutoEncoderParams {
  resolution: number;
  in_channels: number;
  ch: number;
  out_ch: number;
  ch_mult: number[];
  num_res_blocks: number;
  z_channels: number;
  scale_factor: number;
  shift_factor: number;
  /** GroupNorm groups (FLUX: 32, its default); a small AE needs several channels per group */
  norm_groups?: number;
  /**
   * base width of the decoder when it differs from the encoder's `ch` (not in FLUX, whose two halves share `ch`):
   * a decoder trained wider on a fixed encoder's latents draws finer detail from the same latent space
   */
  decoder_ch?: number;
}

/** The FLUX.1 autoencoder (`ae.safetensors`), shared by all FLUX.1 models. */
export const FLUX_AE: AutoEncoderParams = {
  resolution: 256,
  in_channels: 3,
  ch: 128,
  out_ch: 3,
  ch_mult: [1, 2, 4, 4],
  num_res_blocks: 2,
  z_channels: 16,
  scale_factor: 0.3611,
  shift_factor: 0.1159,
};
