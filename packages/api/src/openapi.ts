/** Generates an OpenAPI 3.1 document from the route table and the error registry. */
import { ERROR_CODES } from './errors.js';
import { COMMON_ERRORS, ROUTES, type RouteSpec } from './routes.js';
import { ErrorResponse } from './schemas.js';

type Json = Record<string, unknown>;

function operation(name: string, route: RouteSpec): Json {
  const parameters: Json[] = [];
  for (const [where, schema] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    const properties =
      (schema as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
    for (const [key, value] of Object.entries(properties)) {
      parameters.push({ name: key, in: where, required: where === 'path', schema: value });
    }
  }
  const responses: Json = {};
  const success = route.success;
  responses[String(success.status)] =
    success.schema === null
      ? { description: 'success' }
      : {
          description: 'success',
          content:
            success.schema === 'octet-stream'
              ? { 'application/octet-stream': {} }
              : { 'application/json': { schema: success.schema } },
        };
  for (const code of [...route.errors, ...COMMON_ERRORS]) {
    const { status, description } = ERROR_CODES[code];
    const key = String(status);
    const existing = responses[key] as { description: string } | undefined;
    responses[key] = {
      description:
        existing === undefined ? `${code}: ${description}` : `${existing.description}; ${code}`,
      content: { 'application/json': { schema: ErrorResponse } },
    };
  }
  const op: Json = { operationId: name, summary: route.summary, parameters, responses };
  if (route.auth !== 'none') op['security'] = [{ device: [] }];
  if (route.body !== undefined) {
    op['requestBody'] = {
      required: true,
      content:
        route.body === 'octet-stream'
          ? { 'application/octet-stream': {} }
          : { 'application/json': { schema: route.body } },
    };
  }
  return op;
}

/** The relay's OpenAPI 3.1 document. */
export function openApiDocument(): Json {
  const paths: Record<string, Json> = {};
  for (const [name, route] of Object.entries(ROUTES) as [string, RouteSpec][]) {
    const path = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const entry = paths[path] ?? {};
    entry[route.method.toLowerCase()] = operation(name, route);
    paths[path] = entry;
  }
  return {
    openapi: '3.1.0',
    info: { title: 'Parley relay', version: '1' },
    components: {
      securitySchemes: {
        device: {
          type: 'http',
          scheme: 'basic',
          description: 'user `accountId.deviceId`, password the device secret in base64',
        },
      },
    },
    paths,
  };
}
