import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('interop-passive/application.json');
