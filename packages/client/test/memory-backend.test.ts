import { MemoryBackend } from '../src/storage.js';
import { storageConformance } from './store-conformance.js';

storageConformance('memory backend', () => new MemoryBackend());
