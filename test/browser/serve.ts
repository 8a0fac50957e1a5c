// A loopback HTTP server for the browser-engine page: the page, the bundle, onnxruntime-web's .wasm/.mjs files
// and the reference fixtures. Files are served by base name from fixed folders only (no paths from the URL).
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { basename, extname, join } from 'node:path';
import { REPO } from '../fixtures-path.ts';

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
};

const PAGE =
  '<!doctype html><meta charset="utf-8"><title>kontext engine</title><script type="module" src="/kontext.js"></script>';

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

/** Serve `bundle` as /kontext.js, onnxruntime-web's dist files under /ort/, and `fixtures` under /fixtures/. */
export async function servePage(bundle: string, fixtures: string): Promise<PageServer> {
  const ort = join(REPO, 'node_modules/onnxruntime-web/dist');
  const server: Server = createServer(async (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const name = basename(path);
    const send = (status: number, body: string | Uint8Array, type = 'text/plain') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    try {
      if (path === '/') return send(200, PAGE, TYPES['.html']);
      if (path === '/kontext.js') return send(200, bundle, TYPES['.js']);
      const dir = path === `/ort/${name}` ? ort : path === `/fixtures/${name}` ? fixtures : null;
      const type = TYPES[extname(name)];
      if (!dir || !type) return send(404, 'not found');
      return send(200, await readFile(join(dir, name)), type);
    } catch {
      return send(404, 'not found');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((ok) => server.close(() => ok())) };
}
