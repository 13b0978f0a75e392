import { testMlsVectorFile } from './vector-test.js';

testMlsVectorFile('psk_secret.json');
