// The Fastify application: options, error handling, and the routes. Every error leaves as {"error": "..."} with
// a 4xx status when it is the client's to fix (the message says how) and 500 only for our own faults.

import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { ServiceError, statusOf } from './errors.ts';
import { bodyTooLarge } from './limits.ts';
import { buildOpenApi } from './openapi.ts';
import { generateRoutes } from './routes/generate.ts';
import { healthRoutes } from './routes/health.ts';
import { imageRoutes } from './routes/images.ts';
import { jobRoutes } from './routes/jobs.ts';
import { promptRoutes } from './routes/prompts.ts';
import { sessionRoutes } from './routes/sessions.ts';
import type { RouteSpec, ServiceContext } from './routes/spec.ts';
import { webRoutes } from './routes/web.ts';

const VERSION = '0.1.0';

export function allRoutes(ctx: ServiceContext): RouteSpec[] {
  const routes: RouteSpec[] = [];
  const openapi = () => buildOpenApi(routes, { version: VERSION, model: ctx.model.name });
  routes.push(
    ...healthRoutes(ctx, openapi),
    ...generateRoutes(ctx),
    ...jobRoutes(ctx),
    ...imageRoutes(ctx),
    ...sessionRoutes(ctx),
    ...promptRoutes(ctx),
    ...webRoutes(),
  );
  return routes;
}

/** Fastify's own errors (body too large, bad JSON, schema violations) as our messages. */
function describe(
  err: FastifyError,
  ctx: ServiceContext,
  contentType: string | undefined,
): { status: number; message: string } {
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { status: 413, message: bodyTooLarge(ctx.limits) };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        message:
          `send a JSON body with Content-Type: application/json ` +
          `(got ${contentType ? `'${contentType}'` : 'none'})`,
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: 'the body is empty; send a JSON object (e.g. {})' };
  }
  if (err.validation) return { status: 400, message: err.message };
  if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500)
    return { status: err.statusCode, message: err.message }; // e.g. malformed JSON
  return { status: statusOf(err), message: err.message };
}

export function buildApp(ctx: ServiceContext, log: (line: string) => void = () => {}): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: ctx.limits.maxBodyBytes,
    keepAliveTimeout: 5_000,
    // Strict bodies: no type coercion ("5" is not 5) and unknown fields are errors, not silently dropped.
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
    schemaErrorFormatter: (errors, dataVar) => {
      const e = errors[0];
      if (e.keyword === 'additionalProperties')
        return new Error(
          `${dataVar} has an unknown field '${(e.params as { additionalProperty: string }).additionalProperty}'`,
        );
      return new Error(`${dataVar}${e.instancePath.replace(/\//g, '.')} ${e.message}`);
    },
  });

  app.removeContentTypeParser('text/plain'); // bodies are JSON only: anything else is answered 415

  app.setErrorHandler((err: FastifyError, req, reply) => {
    const { status, message } =
      err instanceof ServiceError
        ? { status: err.status, message: err.message }
        : describe(err, ctx, req.headers['content-type']);
    if (status >= 500) log(`internal error: ${err.stack ?? err.message}`);
    if (err instanceof ServiceError) reply.headers(err.headers);
    reply.code(status).send({ error: status >= 500 ? `internal error: ${message}` : message });
  });
  app.setNotFoundHandler((req, reply) => {
    reply
      .code(404)
      .send({ error: `no route ${req.method} ${req.url.split('?')[0]}; GET /openapi.json lists the routes` });
  });

  const registered: { method: string; url: string }[] = [];
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) registered.push({ method, url: r.url });
  });
  REGISTERED.set(app, registered);

  for (const r of allRoutes(ctx)) {
    // A body whose fields are all optional may be left out (POST /sessions): validate it as {}.
    const optional = r.body && !(r.body.required as string[] | undefined)?.length;
    app.route({
      method: r.method,
      url: r.url,
      schema: r.body ? { body: r.body } : undefined,
      preValidation: optional ? async (req) => void (req.body ??= {}) : undefined,
      handler: r.handler,
    });
  }
  return app;
}

const REGISTERED = new WeakMap<FastifyInstance, { method: string; url: string }[]>();

/** Every method and URL the app answers (Fastify's own HEAD routes included), as Fastify registered them. */
export const registeredRoutes = (app: FastifyInstance) => REGISTERED.get(app) ?? [];
