// `kontext page --out DIR`: write a static web page that edits images with kontext-mini inside the browser
// (src/browser/export-page.ts); --serve then serves it on this machine until Ctrl-C.

import { resolve } from 'node:path';
import { writePage } from '../browser/export-page.ts';
import { serveFolder } from '../browser/static-server.ts';
import { UserError } from '../errors.ts';
import { EMBEDDED_MODEL } from '../mini/embedded.ts';
import { intArg, parseCommand } from './args.ts';
import type { Command } from './main.ts';

const HELP = `usage: kontext page --out DIR [--model DIR] [--force] [--serve [--port N] [--host HOST]]

Write a static web page that edits images from words with kontext-mini inside the browser: the model runs on
onnxruntime-web (WebAssembly; WebGPU with ?ep=webgpu in the address), nothing is sent to a server. Any static file
host serves the folder (about 42 MB: the model, onnxruntime-web's runtime, the page). Its kontext-mini.js is
also a library for your own page beside it (README, "In the browser, no server").

  --out DIR      folder to write (new, empty, or an earlier page)
  --model DIR    a kontext-mini folder (default: the embedded model)
  --force        write into a folder that holds other files
  --serve        then serve it at http://HOST:PORT/ until Ctrl-C, cross-origin isolated (WebAssembly threads)
  --port N       port for --serve (default 8090; 0 = any free one)
  --host HOST    address for --serve (default 127.0.0.1: this machine only)

Example:
  kontext page --out site --serve        # then open http://127.0.0.1:8090/`;

const command: Command = {
  async run(argv) {
    const s = { type: 'string' } as const;
    const parsed = parseCommand(argv, HELP, {
      out: s,
      model: s,
      force: { type: 'boolean' },
      serve: { type: 'boolean' },
      port: s,
      host: s,
    });
    if (!parsed) return 0;
    const { values: v, positionals } = parsed;
    if (positionals.length) throw new UserError(`unexpected argument '${positionals[0]}'; see 'kontext page --help'`);
    if (!v.out) throw new UserError('missing --out DIR: the folder to write the page into');
    if (!v.serve && (v.port !== undefined || v.host !== undefined))
      throw new UserError('--port and --host go with --serve');
    const port = intArg('--port', v.port, 0, 65535) ?? 8090;
    const files = await writePage(v.out, { model: v.model ?? EMBEDDED_MODEL, force: v.force });
    console.error(`wrote ${files.length} files to ${resolve(v.out)}: index.html, kontext-mini.js, model/, ort/`);
    if (!v.serve) {
      console.error(`serve the folder with any static file server, or: kontext page --out ${v.out} --serve`);
      return 0;
    }
    const server = await serveFolder(v.out, { port, host: v.host }).catch((err: NodeJS.ErrnoException) => {
      throw new UserError(
        err.code === 'EADDRINUSE' ? `port ${port} is in use; pick another with --port (0 = any free one)` : err.message,
      );
    });
    console.log(`serving ${resolve(v.out)} at ${server.url} (Ctrl-C stops)`);
    await new Promise<void>((done) => {
      const stop = () => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        void server.close().then(done);
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    return 0;
  },
};

export default command;
