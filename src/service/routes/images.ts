// Stored images by content hash. The hash is checked to be 64 hex digits before the store turns it into a file
// name (ids.ts), so this route can only ever read <data>/images/<hash>.png.

import { notFound } from '../errors.ts';
import { imageHash } from '../ids.ts';
import { paramsOf, type RouteSpec, type ServiceContext } from './spec.ts';

export function imageRoutes({ store }: ServiceContext): RouteSpec[] {
  return [
    {
      method: 'GET',
      url: '/images/:hash',
      operationId: 'getImage',
      summary: 'A stored image (an upload or an output) as PNG',
      params: { hash: 'the SHA-256 of the PNG, as in a job result or a turn' },
      responses: {
        200: { description: 'the PNG', mediaType: 'image/png' },
        304: { description: 'not modified (If-None-Match had its ETag, the hash)' },
        400: { description: 'not an image hash', schema: 'Error' },
        404: { description: 'no such image', schema: 'Error' },
      },
      async handler(req, reply) {
        const hash = imageHash(paramsOf(req).hash);
        if (!store.images.has(hash)) throw notFound(`no image ${hash}`);
        // The name is the content's hash, so the bytes behind a URL never change: cache them forever.
        const etag = `"${hash}"`;
        reply.header('cache-control', 'public, max-age=31536000, immutable').header('etag', etag);
        if (req.headers['if-none-match'] === etag) return reply.code(304).send(); // the client has it already
        return reply.type('image/png').send(await store.images.readPng(hash));
      },
    },
  ];
}
