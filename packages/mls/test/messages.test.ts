import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('messages.json');
