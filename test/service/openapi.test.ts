// /openapi.json describes every route the server answers (and nothing else), with bodies and responses.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registeredRoutes } from '../../src/service/app.ts';
import { openApiPath } from '../../src/service/openapi.ts';
import { b64png, call, finished, type Json, solid, startTestService, type TestService } from './helpers.ts';

let s: TestService;
beforeAll(async () => void (s = await startTestService()));
afterAll(async () => s.dispose());

/** The API the apps issue asks for. */
const EXPECTED = [
  'GET /health',
  'GET /openapi.json',
  'POST /generate',
  'POST /edit',
  'GET /jobs/{id}',
  'GET /jobs/{id}/events',
  'DELETE /jobs/{id}',
  'GET /images/{hash}',
  'POST /sessions',
  'GET /sessions',
  'GET /sessions/{id}',
  'POST /sessions/{id}/undo',
  'POST /sessions/{id}/branch',
  'POST /sessions/{id}/turns',
  'POST /prompts/check',
  'GET /',
  'GET /web/{file}', // the web app: its page and its allow-listed scripts and styles
];

describe('GET /openapi.json', () => {
  it('lists exactly the routes Fastify registered (HEAD, derived from GET, aside): all the expected ones', async () => {
    const { status, body: doc } = await call(s, 'GET', '/openapi.json');
    expect(status).toBe(200);
    expect(doc.openapi).toBe('3.1.0');
    const documented = Object.entries(doc.paths as Record<string, object>).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    const registered = registeredRoutes(s.app)
      .filter((r) => r.method !== 'HEAD')
      .map((r) => `${r.method} ${openApiPath(r.url)}`);
    expect(documented.sort()).toEqual(registered.sort());
    expect(documented.sort()).toEqual([...EXPECTED].sort());
  });

  it('each operation has an id, a summary, its path parameters, its body schema and an error response', async () => {
    const { body: doc } = await call(s, 'GET', '/openapi.json');
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
      for (const [method, op] of Object.entries(ops)) {
        const where = `${method} ${path}`;
        expect(op.operationId, where).toBeTruthy();
        expect(op.summary, where).toBeTruthy();
        const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        expect(
          (op.parameters ?? []).map((p: { name: string }) => p.name),
          where,
        ).toEqual(params);
        expect(op.responses.default.content['application/json'].schema.$ref, where).toBe('#/components/schemas/Error');
        if (method === 'post' && !path.endsWith('/undo'))
          expect(op.requestBody.content['application/json'].schema.type, where).toBe('object');
      }
    }
    expect(doc.paths['/jobs/{id}/events'].get.responses[200].content['text/event-stream']).toBeTruthy();
    expect(doc.paths['/images/{hash}'].get.responses[200].content['image/png']).toBeTruthy();
    // every $ref points at a component that exists
    for (const [, name] of JSON.stringify(doc).matchAll(/"#\/components\/schemas\/(\w+)"/g))
      expect(doc.components.schemas[name], name).toBeTruthy();
  });

  it('the Turn schema names every field of a turn the API serves', async () => {
    const { body: doc } = await call(s, 'GET', '/openapi.json');
    await call(s, 'POST', '/sessions', { name: 'fields' });
    const job = await call(s, 'POST', '/sessions/fields/turns', {
      instruction: 'keep it',
      images: [await b64png(solid([1, 2, 3], 4, 4))],
    });
    const { turn } = (await finished(s, job.body.id)).result;
    const served = (await call(s, 'GET', '/sessions/fields')).body.turns[0];
    expect(served).toEqual(turn);
    expect(Object.keys(doc.components.schemas.Turn.properties).sort()).toEqual(Object.keys(served).sort());
  });
});
