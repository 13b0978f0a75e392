import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('transcript-hashes.json');
