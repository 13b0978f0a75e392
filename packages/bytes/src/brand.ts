import { BytesError } from './errors.js';

declare const brand: unique symbol;

/**
 * `T` tagged with the name `B`, so that values of different meaning but the same runtime type
 * (a public key and a ciphertext are both `Uint8Array`) cannot be swapped by mistake. The tag
 * exists only for the compiler.
 */
export type Brand<T, B extends string> = T & { readonly [brand]: B };

/** A `Uint8Array` branded `B`, for example `BrandedBytes<'PublicKey'>`. */
export type BrandedBytes<B extends string> = Brand<Uint8Array, B>;

/**
 * Returns a function that brands a byte array as `B` after checking that it is exactly `length`
 * bytes, throwing `INVALID_LENGTH` otherwise. It does not copy: the result is the same array.
 *
 * @example
 * type ChainKey = BrandedBytes<'ChainKey'>;
 * const asChainKey = fixedBytes('ChainKey', 32);
 */
export function fixedBytes<B extends string>(
  name: B,
  length: number,
): (bytes: Uint8Array) => BrandedBytes<B> {
  return (bytes) => {
    if (bytes.length !== length) {
      throw new BytesError(
        'INVALID_LENGTH',
        `${name} must be ${length} bytes, got ${bytes.length}`,
      );
    }
    return bytes as BrandedBytes<B>;
  };
}
