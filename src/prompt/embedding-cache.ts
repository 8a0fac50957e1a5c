// Prompt embeddings already computed in this process, keyed by the encoder's identity and the prompt: a session of
// edits with the same instruction (or an undo and a retry) does not run T5-XXL again, which takes about a minute
// on a CPU. The identity (FluxTextEncoder.id) covers the weight files, the tokenizers and the weight format, so two
// encoders over the same files share entries and a different T5 (or int4 instead of int8) does not.
// Entries are 8 MB each for FLUX (512 × 4096 floats); the least recently used go first.

import type { PromptEmbeds } from './embeddings.ts';

export class EmbeddingCache {
  private readonly entries = new Map<string, PromptEmbeds>();
  hits = 0;
  misses = 0;

  constructor(readonly capacity = 32) {}

  private static key(encoder: string, prompt: string): string {
    return `${encoder}\u0000${prompt}`;
  }

  get(encoder: string, prompt: string): PromptEmbeds | undefined {
    const k = EmbeddingCache.key(encoder, prompt);
    const e = this.entries.get(k);
    if (!e) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.entries.delete(k); // most recently used last
    this.entries.set(k, e);
    return e;
  }

  /** Without counting or reordering: is the prompt encoded? */
  has(encoder: string, prompt: string): boolean {
    return this.entries.has(EmbeddingCache.key(encoder, prompt));
  }

  set(encoder: string, prompt: string, e: PromptEmbeds): void {
    const k = EmbeddingCache.key(encoder, prompt);
    this.entries.delete(k);
    this.entries.set(k, e);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  get size(): number {
    return this.entries.size;
  }

  clear(): void {
    this.entries.clear();
    this.hits = 0;
    this.misses = 0;
  }
}

/** The process-wide cache the FLUX text encoders use. */
export const embeddingCache = new EmbeddingCache();
