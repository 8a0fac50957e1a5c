// The OpenAPI 3.1 description of the service, built from the route declarations (routes/spec.ts): every route the
// server registers is in it, with its parameters, body schema and responses.

import { COMPONENTS } from './routes/schemas.ts';
import type { RouteSpec } from './routes/spec.ts';

/** /jobs/:id → /jobs/{id} */
export const openApiPath = (url: string) => url.replace(/:([A-Za-z_]+)/g, '{$1}');

function operation(r: RouteSpec) {
  const responses = Object.fromEntries(
    Object.entries(r.responses).map(([status, { description, schema, mediaType }]) => [
      status,
      {
        description,
        ...(schema || mediaType
          ? {
              content: {
                [mediaType ?? 'application/json']: schema ? { schema: { $ref: `#/components/schemas/${schema}` } } : {},
              },
            }
          : {}),
      },
    ]),
  );
  return {
    operationId: r.operationId,
    summary: r.summary,
    ...(r.description && { description: r.description }),
    ...(r.params && {
      parameters: Object.entries(r.params).map(([name, description]) => ({
        name,
        in: 'path',
        required: true,
        description,
        schema: { type: 'string' },
      })),
    }),
    ...(r.body && { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } }),
    responses: {
      ...responses,
      default: {
        description: 'an error',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      },
    },
  };
}

export function buildOpenApi(routes: RouteSpec[], info: { version: string; model: string }) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) (paths[openApiPath(r.url)] ??= {})[r.method.toLowerCase()] = operation(r);
  return {
    openapi: '3.1.0',
    info: {
      title: 'kontext',
      version: info.version,
      description:
        `In-context image generation and editing (model: ${info.model}). Model runs are jobs: submit, then follow ` +
        'GET /jobs/{id} or its Server-Sent Events at GET /jobs/{id}/events; ' +
        'output images are at GET /images/{hash}. Images are sent as base64 PNG or JPEG in JSON. ' +
        'Every error is {"error": "..."}. GET / is a web app over this API.',
    },
    paths,
    components: { schemas: COMPONENTS },
  };
}
