import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('interop-passive/branch.json');
