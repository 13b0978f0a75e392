import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('passive-client-welcome.json');
