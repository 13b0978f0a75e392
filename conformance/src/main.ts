/**
 * `npm run conformance`: every external suite, one line per suite and backend.
 *
 *   --json      print only a JSON array of { suite, backend, passed, failed, skipped }
 *   --million   also run RFC 7748's 1,000,000-iteration X25519 vector (minutes)
 *
 * Exit status 1 when anything failed. Under CI=true a missing vector file is a failure.
 */
import {
  libsignalInterop,
  libsignalSealedSenderInterop,
  libsignalSpqrInterop,
  mlsInterop,
} from './interop.js';
import { formatJson, formatReport, totals } from './report.js';
import { keytransSuites, mlsSuites, primitivesSuites } from './suites.js';
import { repositoryRoot } from './vectors.js';

const args = new Set(process.argv.slice(2));
const known = new Set(['--json', '--million']);
const unknown = [...args].filter((a) => !known.has(a));
if (unknown.length > 0) {
  process.stderr.write(`unknown option ${unknown.join(' ')}; known: ${[...known].join(' ')}\n`);
  process.exitCode = 2;
} else {
  const results = [
    ...primitivesSuites({ millionIterations: args.has('--million') }),
    ...mlsSuites(),
    ...keytransSuites(repositoryRoot()),
    libsignalInterop(repositoryRoot()),
    libsignalSpqrInterop(repositoryRoot()),
    libsignalSealedSenderInterop(repositoryRoot()),
    mlsInterop(repositoryRoot()),
  ];
  process.stdout.write(`${args.has('--json') ? formatJson(results) : formatReport(results)}\n`);
  if (totals(results).failed > 0) process.exitCode = 1;
}
