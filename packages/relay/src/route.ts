/**
 * Registers a handler against a route of the API's table: schemas, body limit, authentication
 * and the success status all come from the table, and the handler's types from its schemas.
 */
import type { Static, TSchema } from '@sinclair/typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { limits, type RouteSpec } from '@parley/api';
import type { DeviceIdentity } from './credentials.js';

type BodyOf<S extends RouteSpec> = S['body'] extends TSchema
  ? Static<S['body']>
  : S['body'] extends 'octet-stream'
    ? Buffer
    : undefined;
type ParamsOf<S extends RouteSpec> = S['params'] extends TSchema ? Static<S['params']> : object;
type QueryOf<S extends RouteSpec> = S['query'] extends TSchema ? Static<S['query']> : object;
type ReplyOf<S extends RouteSpec> = S['success']['schema'] extends TSchema
  ? Static<S['success']['schema']>
  : S['success']['schema'] extends 'octet-stream'
    ? Uint8Array
    : S['success']['schema'] extends null
      ? undefined | string
      : never;
type AuthOf<S extends RouteSpec> = S['auth'] extends 'none' ? undefined : DeviceIdentity;

export type RouteRequest<S extends RouteSpec> = FastifyRequest<{
  Body: BodyOf<S>;
  Params: ParamsOf<S>;
  Querystring: QueryOf<S>;
}>;

export type RouteHandler<S extends RouteSpec> = (
  request: RouteRequest<S>,
  auth: AuthOf<S>,
  reply: FastifyReply,
) => Promise<ReplyOf<S>>;

/** Authenticates a request (`primary`: only device 1), or throws a `RelayError`. */
export type Authenticate = (
  request: FastifyRequest,
  primaryOnly: boolean,
) => Promise<DeviceIdentity>;

export function registerRoute<S extends RouteSpec>(
  app: FastifyInstance,
  authenticate: Authenticate,
  spec: S,
  handler: RouteHandler<S>,
): void {
  const schema: Record<string, TSchema> = {};
  if (spec.params !== undefined) schema['params'] = spec.params;
  if (spec.query !== undefined) schema['querystring'] = spec.query;
  if (spec.body !== undefined && spec.body !== 'octet-stream') schema['body'] = spec.body;
  app.route<{ Body: BodyOf<S>; Params: ParamsOf<S>; Querystring: QueryOf<S> }>({
    method: spec.method,
    url: spec.url,
    schema,
    ...(spec.body === 'octet-stream'
      ? { bodyLimit: spec.bodyLimit ?? limits.MAX_ATTACHMENT_BYTES }
      : {}),
    handler: async (request, reply) => {
      const auth = (
        spec.auth === 'none' ? undefined : await authenticate(request, spec.auth === 'primary')
      ) as AuthOf<S>;
      const result = await handler(request, auth, reply);
      void reply.code(spec.success.status);
      if (spec.success.schema === 'octet-stream') void reply.type('application/octet-stream');
      return result;
    },
  });
}
