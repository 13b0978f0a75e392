import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('tree-validation.json');
