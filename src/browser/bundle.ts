// Bundling engine code for a browser page with esbuild (a dependency of tsx, so always installed).
//
// The seam between Node and the browser is one file: every import of src/engine/index.ts resolves to
// src/browser/engine.ts, which exports the same graph builder, ops and serializer with sessions on
// onnxruntime-web. Model code is bundled as it is, never copied.
//
// Shared modules may hold Node-only functions beside pure ones (src/io/safetensors.ts has the file reader and
// the in-memory parser). Their `node:` imports, and sharp, resolve to stubs with the same export names whose
// functions throw when called, naming themselves, so the pure functions work in the page and a Node-only one fails
// loudly if a page ever calls it.
// onnxruntime-node is refused outright: reaching it means the seam was bypassed.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const NODE_ENGINE = resolve(SRC, 'engine/index.ts');
const BROWSER_ENGINE = resolve(SRC, 'browser/engine.ts');

/**
 * A browser stand-in for a Node built-in: the same export names (read from the real module, here in Node), each
 * a function that throws naming itself.
 */
async function nodeStub(specifier: string): Promise<string> {
  const names = Object.keys(await import(specifier)).filter((n) => n !== 'default' && /^[A-Za-z_$][\w$]*$/.test(n));
  const fail = `throw new Error(${JSON.stringify(specifier)} + '.' + name + ' is not available in a browser')`;
  const lines = [`const stub = (name) => () => { ${fail}; };`];
  for (const n of names) lines.push(`export const ${n} = stub('${n}');`);
  lines.push('export default new Proxy({}, { get: (_, key) => stub(String(key)) });');
  return lines.join('\n');
}

const browserSeam: Plugin = {
  name: 'kontext-browser-seam',
  setup(b) {
    b.onResolve({ filter: /(^|\/)index(\.ts)?$/ }, (args) => {
      const path = resolve(args.resolveDir, args.path.endsWith('.ts') ? args.path : `${args.path}.ts`);
      return path === NODE_ENGINE ? { path: BROWSER_ENGINE } : undefined;
    });
    b.onResolve({ filter: /^onnxruntime-node$/ }, (args) => ({
      errors: [
        {
          text:
            `onnxruntime-node cannot run in a browser (imported by ${args.importer}); ` +
            `import the engine through src/engine/index.ts`,
        },
      ],
    }));
    // Node built-ins, and sharp (native libvips: readImage and the Node resize; a page scales with resample.ts)
    b.onResolve({ filter: /^(node:|sharp$)/ }, (args) => ({ path: args.path, namespace: 'node-stub' }));
    b.onLoad({ filter: /.*/, namespace: 'node-stub' }, async (args) => ({
      contents: await nodeStub(args.path),
      loader: 'js',
    }));
  },
};

/**
 * One ES module holding `entry` and everything it imports, onnxruntime-web included (its .wasm files are fetched
 * at run time from ort.env.wasm.wasmPaths). Returns the JavaScript text.
 */
export async function bundleForBrowser(entry: string): Promise<string> {
  const r = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    plugins: [browserSeam],
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}
