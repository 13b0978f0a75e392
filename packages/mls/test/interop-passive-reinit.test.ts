import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('interop-passive/reinit.json');
