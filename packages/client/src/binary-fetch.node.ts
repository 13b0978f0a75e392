/**
 * A `BinaryFetchLike` over `node:http`/`node:https` for attachment traffic in Node. The global
 * `fetch` copies every request body it is given (the Fetch standard takes a copy of the bytes),
 * so a 100 MB upload makes 100 MB of garbage that the collector frees late and the process keeps
 * as RSS; this one writes the caller's bytes to the socket as they are (the upload reuses one
 * chunk buffer, so nothing is allocated per chunk here). Keep-alive, one agent per fetch.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { BinaryFetchLike, BinaryFetchResponse } from './blob-http.js';

/** A fetch for bytes that does not copy request bodies (see the file comment). */
export function nodeBinaryFetch(): BinaryFetchLike {
  const agents = {
    'http:': new HttpAgent({ keepAlive: true }),
    'https:': new HttpsAgent({ keepAlive: true }),
  };
  return (url, init) =>
    new Promise<BinaryFetchResponse>((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const body = init.body === undefined ? undefined : init.body;
      const headers: Record<string, string | number> = { ...init.headers };
      if (body !== undefined)
        headers['content-length'] =
          typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
      const req = (secure ? httpsRequest : httpRequest)(
        target,
        { method: init.method, headers, agent: secure ? agents['https:'] : agents['http:'] },
        (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('error', reject);
          res.on('end', () => {
            const all = Buffer.concat(parts);
            // A large body has an ArrayBuffer of its own; a small one is a view of Node's shared
            // pool and is copied out of it.
            const whole = all.byteOffset === 0 && all.byteLength === all.buffer.byteLength;
            const body = whole
              ? all.buffer
              : all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength);
            resolve({
              status: res.statusCode ?? 0,
              arrayBuffer: () => Promise.resolve(body),
            });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
}
