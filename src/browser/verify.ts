// Reference parity in a browser page: the cases of shared/fixtures/flux-reference (transformer, denoise,
// autoencoder), fetched from a URL and run on onnxruntime-web. The cases themselves are src/verify/cases.ts, the
// same code `kontext verify` (src/verify/fixtures.ts) runs on files read from disk; here their files are fetched.

import { type CaseResult, type FixtureSource, fluxCase } from '../verify/cases.ts';
import { FetchedSafetensors } from './safetensors.ts';
import { configureEngine, type EngineOptions } from './session.ts';

export type BrowserCaseResult = CaseResult;

/** The fixture folder served at `base`, file by file; a JSON file the server does not have (404) is undefined. */
export function fetchedFixtures(base: string): FixtureSource {
  return {
    open: (file) => FetchedSafetensors.fetch(`${base}/${file}`),
    async json(file) {
      const url = `${base}/${file}`;
      const res = await fetch(url);
      if (res.status === 404) return undefined;
      if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
      return res.json();
    },
  };
}

/**
 * Run the named cases of the fixture folder served at `base` (e.g. '/fixtures'); the kind is read from each JSON.
 * `engine` becomes the engine's default (model code such as denoise compiles with the defaults).
 */
export async function verifyCases(
  base: string,
  names: string[],
  engine: EngineOptions = {},
): Promise<BrowserCaseResult[]> {
  configureEngine(engine);
  const src = fetchedFixtures(base);
  const results: BrowserCaseResult[] = [];
  for (const name of names) {
    const cfg = (await src.json(`${name}.json`)) as Record<string, unknown> | undefined;
    if (cfg === undefined) throw new Error(`${base}/${name}.json: HTTP 404`);
    const t0 = performance.now();
    const c = fluxCase(name, cfg);
    if (!c) throw new Error(`${name}.json is not a transformer, denoise or autoencoder case`);
    results.push({ name, kind: c.kind, outputs: await c.run(src), seconds: (performance.now() - t0) / 1000 });
  }
  return results;
}
