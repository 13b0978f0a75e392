import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('key-schedule.json');
