import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('interop-passive/welcome_join.json');
