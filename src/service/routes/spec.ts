// A route is declared once, as data: method, URL, summary, body schema, responses, handler. The same declaration
// registers it with Fastify (which validates the body against the schema) and describes it in /openapi.json, so
// the description cannot miss a route or disagree with what the server checks.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { SessionStore } from '../../session/store.ts';
import type { JobQueue } from '../jobs/types.ts';
import type { ServiceModel } from '../model.ts';
import type { Limits } from '../options.ts';

export type JsonSchema = Record<string, unknown>;

export interface RouteSpec {
  method: 'GET' | 'POST' | 'DELETE';
  /** Fastify syntax: /jobs/:id */
  url: string;
  operationId: string;
  summary: string;
  description?: string;
  /** path parameters: name → description */
  params?: Record<string, string>;
  /** the JSON body's schema (validated before the handler runs) */
  body?: JsonSchema;
  /** status → description and the response's schema (a components/schemas name) or media type */
  responses: Record<number, { description: string; schema?: string; mediaType?: string }>;
  handler(req: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

/** What the routes work with. */
export interface ServiceContext {
  store: SessionStore;
  queue: JobQueue;
  model: ServiceModel;
  limits: Limits;
}

/** The typed parameters and body of a request (validated by then: see the route's schema and ids.ts). */
export const paramsOf = (req: FastifyRequest) => req.params as Record<string, string>;
export const bodyOf = <T>(req: FastifyRequest) => (req.body ?? {}) as T;
