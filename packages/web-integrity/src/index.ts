export { WebIntegrityError, type WebIntegrityErrorCode } from './errors.js';
export {
  INTEGRITY_POLICY,
  WEB_SECURITY_HEADERS,
  importMapText,
  webCsp,
  webHeaders,
  type CspOptions,
} from './headers.js';
export * as webIntegrityLimits from './limits.js';
export {
  MANIFEST_FORMAT,
  MANIFEST_PATH,
  canonicalManifest,
  compareManifests,
  createManifest,
  cspScriptHash,
  encodeManifest,
  fileDigest,
  isManifestPath,
  manifestRoot,
  parseManifest,
  sriDigest,
  type ManifestDifference,
  type ManifestFile,
  type WebManifest,
} from './manifest.js';
export {
  encodeRelayConfig,
  parseRelayConfig,
  RELAY_CONFIG_PATH,
  relayConnectSources,
  relayOrigin,
} from './relay-config.js';
