/** Key transparency queries, forwarded as bytes to the deployment's log (see `keytrans.ts`). */
import type { FastifyInstance } from 'fastify';
import { KT_ROUTES } from '@parley/api';
import type { KeyTransBridge } from '../keytrans.js';
import { RelayError } from '../errors.js';
import { registerRoute, type Authenticate } from '../route.js';

export function keyTransRoutes(
  app: FastifyInstance,
  bridge: KeyTransBridge | undefined,
  authenticate: Authenticate,
): void {
  const log = (): KeyTransBridge => {
    if (bridge === undefined) throw new RelayError('KT_UNAVAILABLE', 'no key transparency log');
    return bridge;
  };
  // `details.code` says why (the log's own code, or that it timed out or could not be reached),
  // so a client's "cannot verify" can be diagnosed; it never carries the query or the answer.
  const unreachable = (why: string): RelayError =>
    new RelayError('KT_UNAVAILABLE', 'the key transparency log did not answer', { code: why });
  const failure = (error: unknown): string =>
    error instanceof Error && error.name === 'TimeoutError' ? 'TIMEOUT' : 'UNREACHABLE';

  registerRoute(app, authenticate, KT_ROUTES.ktConfig, async () => {
    try {
      return await log().config();
    } catch (error) {
      if (error instanceof RelayError) throw error;
      throw unreachable(failure(error));
    }
  });

  registerRoute(app, authenticate, KT_ROUTES.ktQuery, async (req) => {
    let answer;
    try {
      answer = await log().query(req.params.operation, Uint8Array.from(req.body));
    } catch (error) {
      if (error instanceof RelayError) throw error;
      throw unreachable(failure(error));
    }
    if (answer.status === 200) return answer.body;
    if (answer.status >= 500) throw unreachable(answer.code ?? `HTTP_${String(answer.status)}`);
    throw new RelayError('KT_REFUSED', 'the key transparency log refused the query', {
      code: answer.code ?? 'INVALID_REQUEST',
    });
  });
}
