import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('passive-client-random.json');
