// A static file server for the folder `kontext page` writes (`kontext page --serve`, and the tests). It sends the
// two headers that make the page cross-origin isolated — Cross-Origin-Opener-Policy: same-origin and
// Cross-Origin-Embedder-Policy: require-corp — which WebAssembly threads need (SharedArrayBuffer); plain hosts
// without them still work, on one thread. Only files under the root are served; anything else is a 404.

import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, normalize, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
  '.safetensors': 'application/octet-stream',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** `isolated` false leaves out the cross-origin-isolation headers (as a plain host would: one thread). */
export async function serveFolder(
  root: string,
  o: { host?: string; port?: number; isolated?: boolean } = {},
): Promise<StaticServer> {
  const base = resolve(root);
  const isolation =
    o.isolated === false
      ? {}
      : { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };
  const server: Server = createServer(async (req, res) => {
    const send = (status: number, body: string | Uint8Array, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, ...isolation });
      res.end(body);
    };
    try {
      let path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      if (path.endsWith('/')) path += 'index.html';
      const file = resolve(base, `.${normalize(`/${path}`)}`);
      if (!file.startsWith(base + sep) || !(await stat(file)).isFile()) return send(404, 'not found');
      return send(200, await readFile(file), TYPES[extname(file)] ?? 'application/octet-stream');
    } catch {
      return send(404, 'not found');
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', ok);
  });
  const { port, address } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return { url: `http://${host}:${port}/`, close: () => new Promise((ok) => server.close(() => ok())) };
}
