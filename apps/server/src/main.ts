#!/usr/bin/env node
// Parley's server entry point. The relay (accounts, keys, store-and-forward) is not built yet;
// until it is, this serves only /health, which reports that plainly, after checking that the
// crypto backend this process would use works on this machine.
import { createServer } from 'node:http';
import { createNodePrimitives } from '@parley/primitives-node';

const DEFAULT_PORT = 8080;
const host = process.env['PARLEY_HOST'] ?? '127.0.0.1';
const port = Number(process.env['PARLEY_PORT'] ?? DEFAULT_PORT);

function selfCheck(): boolean {
  const p = createNodePrimitives();
  const a = p.x25519.generateKeyPair();
  const b = p.x25519.generateKeyPair();
  const ab = p.x25519.sharedSecret(a.privateKey, b.publicKey);
  const ba = p.x25519.sharedSecret(b.privateKey, a.publicKey);
  const sig = p.xeddsa.sign(a.privateKey, ab);
  return ab.every((v, i) => v === ba[i]) && p.xeddsa.verify(a.publicKey, ab, sig);
}

const crypto = selfCheck() ? 'ok' : 'failed';
const server = createServer((req, res) => {
  if (req.url === '/health') {
    res.writeHead(crypto === 'ok' ? 200 : 500, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({ status: crypto === 'ok' ? 'ok' : 'error', crypto, relay: 'not built yet' }),
    );
    return;
  }
  res.writeHead(404, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ error: 'NOT_FOUND' }));
});

server.listen(port, host, () => {
  console.log(
    `parley: listening on http://${host}:${port} (crypto self-check: ${crypto}; relay: not built yet)`,
  );
});

function shutdown(signal: string): void {
  console.log(`parley: ${signal}, shutting down`);
  server.close(() => {
    process.exitCode = 0;
  });
}
process.on('SIGINT', () => {
  shutdown('SIGINT');
});
process.on('SIGTERM', () => {
  shutdown('SIGTERM');
});
