import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('passive-client-handling-commit.json');
