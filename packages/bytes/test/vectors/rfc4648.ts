/**
 * RFC 4648 §10 "Test Vectors" (https://www.rfc-editor.org/rfc/rfc4648#section-10): BASE16,
 * BASE64 and, for base64url, the BASE64 column with padding removed (§3.2; these inputs use no
 * character where the alphabets differ). The alphabet cases below them exercise `+`/`/` versus
 * `-`/`_` (RFC 4648 Tables 1 and 2), checked by hand.
 */
export const rfc4648Vectors: readonly {
  readonly ascii: string;
  readonly base16: string;
  readonly base64: string;
  readonly base64url: string;
}[] = [
  { ascii: '', base16: '', base64: '', base64url: '' },
  { ascii: 'f', base16: '66', base64: 'Zg==', base64url: 'Zg' },
  { ascii: 'fo', base16: '666F', base64: 'Zm8=', base64url: 'Zm8' },
  { ascii: 'foo', base16: '666F6F', base64: 'Zm9v', base64url: 'Zm9v' },
  { ascii: 'foob', base16: '666F6F62', base64: 'Zm9vYg==', base64url: 'Zm9vYg' },
  { ascii: 'fooba', base16: '666F6F6261', base64: 'Zm9vYmE=', base64url: 'Zm9vYmE' },
  { ascii: 'foobar', base16: '666F6F626172', base64: 'Zm9vYmFy', base64url: 'Zm9vYmFy' },
];

/** Bytes whose encodings use the two characters where base64 and base64url differ. */
export const alphabetVectors: readonly {
  readonly hex: string;
  readonly base64: string;
  readonly base64url: string;
}[] = [
  { hex: 'fbff', base64: '+/8=', base64url: '-_8' },
  { hex: 'fbefbe', base64: '++++', base64url: '----' },
  { hex: 'ffffff', base64: '////', base64url: '____' },
];
