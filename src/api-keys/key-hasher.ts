import { Injectable } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AppConfig } from '../config/app-config';
import { HASH_ALGORITHMS } from '../config/environment';

export type KeyHashAlgorithm = (typeof HASH_ALGORITHMS)[number];

/**
 * Keyed hash (HMAC under the server pepper) of a plaintext key: all that is ever stored.
 * Each key records its algorithm, so KEY_HASH_ALGORITHM can change without breaking old keys.
 */
@Injectable()
export class KeyHasher {
  readonly algorithm: KeyHashAlgorithm;
  private readonly pepper: string;

  constructor(config: AppConfig) {
    this.algorithm = config.keys.hashAlgorithm;
    this.pepper = config.secrets.keyHashPepper;
  }

  hash(plaintext: string, algorithm: KeyHashAlgorithm = this.algorithm): Buffer {
    return createHmac(algorithm, this.pepper).update(plaintext).digest();
  }

  /**
   * The key's hash under every supported algorithm, for one indexed lookup. `currentHash` (under
   * the configured algorithm) is reused when the caller already has it.
   */
  candidates(plaintext: string, currentHash = this.hash(plaintext)): Array<{ algorithm: KeyHashAlgorithm; hash: Buffer }> {
    return [
      { algorithm: this.algorithm, hash: currentHash },
      ...HASH_ALGORITHMS.filter((a) => a !== this.algorithm).map((algorithm) => ({ algorithm, hash: this.hash(plaintext, algorithm) })),
    ];
  }

  static equal(a: Buffer, b: Buffer): boolean {
    return a.length === b.length && timingSafeEqual(a, b);
  }
}
