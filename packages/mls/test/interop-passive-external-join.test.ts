import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('interop-passive/external_join.json');
