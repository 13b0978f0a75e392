import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('welcome.json');
