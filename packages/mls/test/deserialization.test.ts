import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('deserialization.json');
