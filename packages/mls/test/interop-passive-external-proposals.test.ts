import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('interop-passive/external_proposals.json');
