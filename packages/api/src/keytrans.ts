/**
 * Key transparency through the relay: the relay forwards a client's -05 queries to its log
 * service as opaque bytes (it parses nothing), and answers the log's configuration. Updates are
 * not forwarded: the relay itself publishes registrations, account-key and device-list changes.
 */
import { Type, type Static } from '@sinclair/typebox';

/** The queries a client may send through the relay (the log's paths under `/kt/v1/`). */
export const KT_OPERATIONS = [
  'search',
  'contact-monitor',
  'owner-init',
  'owner-monitor',
  'distinguished',
] as const;
export type KtOperation = (typeof KT_OPERATIONS)[number];

/**
 * Largest KT query body the relay forwards (a monitor request with the most map entries is a
 * few KB; the log refuses anything it cannot parse).
 */
export const MAX_KT_QUERY_BYTES = 64 * 1024;

export const KtParams = Type.Object(
  { operation: Type.Union(KT_OPERATIONS.map((o) => Type.Literal(o))) },
  { additionalProperties: false },
);
export type KtParams = Static<typeof KtParams>;

export const KT_ROUTES = {
  ktConfig: {
    method: 'GET',
    url: '/v1/kt/config',
    auth: 'device',
    summary:
      "The key transparency log's Configuration (-05 TLS bytes); `KT_UNAVAILABLE` when the relay has no log.",
    success: { status: 200, schema: 'octet-stream' },
    errors: ['UNAUTHORIZED', 'KT_UNAVAILABLE'],
  },
  ktQuery: {
    method: 'POST',
    url: '/v1/kt/:operation',
    auth: 'device',
    summary:
      'Forwards a -05 query (search, contact-monitor, owner-init, owner-monitor, distinguished; TLS bytes) to the log and returns its answer unchanged.',
    params: KtParams,
    body: 'octet-stream',
    bodyLimit: MAX_KT_QUERY_BYTES,
    success: { status: 200, schema: 'octet-stream' },
    errors: ['UNAUTHORIZED', 'KT_UNAVAILABLE', 'KT_REFUSED'],
  },
} as const;
