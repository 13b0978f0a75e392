import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('secret-tree.json');
