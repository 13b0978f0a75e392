import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('crypto-basics.json');
