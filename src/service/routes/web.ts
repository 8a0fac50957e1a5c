// The web app (src/service/web/): GET / is its page, GET /web/:file its scripts and styles. No build step: the
// files are plain ES modules and CSS, served as they are.
//
// Only the files named below are served. The name in the URL is looked up in a Map and never joined to a path,
// so '../x', its encoded forms, absolute paths and names like 'constructor' find nothing (404 JSON, as every other
// unknown thing); nothing else in the folder, let alone outside it, can be read through these routes. A new file
// of the app must be added to WEB_FILES (test/web/static.test.ts checks that the list and the folder agree).

import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { notFound } from '../errors.ts';
import { paramsOf, type RouteSpec } from './spec.ts';

/** The app's folder. */
export const WEB_DIR = new URL('../web/', import.meta.url);

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

/** The page, served at GET / (not under /web/). */
export const WEB_PAGE = 'index.html';

/** The allow-list: what GET /web/:file serves, name → media type. */
export const WEB_FILES: ReadonlyMap<string, string> = new Map([
  ['app.js', JS],
  ['api.js', JS],
  ['compare.js', JS],
  ['timeline.js', JS],
  ['style.css', CSS],
]);

/**
 * The page may load only its own scripts, styles and images (and blob:/data: images: previews of picked files),
 * and talk only to this server; it cannot be framed.
 */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const SECURITY_HEADERS = {
  'content-security-policy': CSP,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
};

export function webRoutes(): RouteSpec[] {
  /** Send one of the app's files; `name` is the page or a key of WEB_FILES (checked before this is called). */
  const send = async (
    name: string,
    type: string,
    req: Parameters<RouteSpec['handler']>[0],
    reply: Parameters<RouteSpec['handler']>[1],
  ) => {
    const bytes = await readFile(new URL(name, WEB_DIR));
    // Revalidated on every load (no-cache), so an upgraded server is picked up at once; unchanged files are a 304.
    const etag = `"${createHash('sha256').update(bytes).digest('hex').slice(0, 32)}"`;
    reply.headers(SECURITY_HEADERS).header('cache-control', 'no-cache').header('etag', etag);
    if (req.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type(type).send(bytes);
  };

  return [
    {
      method: 'GET',
      url: '/',
      operationId: 'webApp',
      summary: 'The web app: edit images in sessions from a browser (HTML)',
      description:
        'Drop an image, type an instruction, watch the steps; a timeline of the session with undo and branches.',
      responses: {
        200: { description: 'the page', mediaType: 'text/html' },
        304: { description: 'not modified (If-None-Match had its ETag)' },
      },
      handler: (req, reply) => send(WEB_PAGE, 'text/html; charset=utf-8', req, reply),
    },
    {
      method: 'GET',
      url: '/web/:file',
      operationId: 'webAsset',
      summary: 'A script or stylesheet of the web app (a fixed list of files)',
      params: { file: `one of ${[...WEB_FILES.keys()].join(', ')}` },
      responses: {
        200: { description: 'the file (text/javascript or text/css)', mediaType: 'text/javascript' },
        304: { description: 'not modified (If-None-Match had its ETag)' },
        404: { description: "not one of the app's files", schema: 'Error' },
      },
      async handler(req, reply) {
        const requested = paramsOf(req).file;
        const type = WEB_FILES.get(requested);
        if (type === undefined)
          throw notFound(
            `no file ${JSON.stringify(requested.slice(0, 80))} in the web app ` +
              `(it serves ${[...WEB_FILES.keys()].join(', ')})`,
          );
        return send(requested, type, req, reply);
      },
    },
  ];
}
