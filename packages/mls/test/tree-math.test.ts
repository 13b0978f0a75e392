import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('tree-math.json');
