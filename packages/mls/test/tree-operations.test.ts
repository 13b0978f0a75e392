import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('tree-operations.json');
