import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('message-protection.json');
