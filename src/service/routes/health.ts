// Liveness and the API description.

import type { RouteSpec, ServiceContext } from './spec.ts';

export function healthRoutes({ queue, model, limits }: ServiceContext, openapi: () => unknown): RouteSpec[] {
  const t0 = Date.now();
  return [
    {
      method: 'GET',
      url: '/health',
      operationId: 'health',
      summary: 'Is the server up; its model, queue and limits',
      responses: { 200: { description: 'up', schema: 'Health' } },
      async handler() {
        const stats = await queue.stats();
        return {
          status: stats.accepting ? 'ok' : 'shutting-down',
          model: model.name,
          uptimeSeconds: (Date.now() - t0) / 1000,
          queue: stats,
          limits,
        };
      },
    },
    {
      method: 'GET',
      url: '/openapi.json',
      operationId: 'openapi',
      summary: 'This description (OpenAPI 3.1)',
      responses: { 200: { description: 'the OpenAPI document' } },
      handler: async () => openapi(),
    },
  ];
}
