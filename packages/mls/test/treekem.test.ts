import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('treekem.json');
