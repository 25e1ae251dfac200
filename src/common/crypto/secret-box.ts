import { Injectable } from '@nestjs/common';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AppConfig } from '../../config/app-config';

/** A secret encrypted at rest. `keyId` names the encryption key, so keys can be rotated later. */
export interface SealedSecret {
  keyId: string;
  iv: Buffer;
  ciphertext: Buffer;
  authTag: Buffer;
}

/**
 * AES-256-GCM under SECRETS_ENCRYPTION_KEY, with a random 96-bit IV per secret and the auth tag
 * kept beside it. For secrets the server must use again (webhook signing secrets, reveal-once key
 * secrets); API keys themselves are only ever hashed.
 */
@Injectable()
export class SecretBox {
  private readonly key: Buffer;
  readonly keyId: string;

  constructor(config: AppConfig) {
    this.key = config.secrets.encryptionKey;
    this.keyId = createHash('sha256').update(this.key).digest('hex').slice(0, 16);
  }

  seal(plaintext: string, associatedData: string): SealedSecret {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(associatedData));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return { keyId: this.keyId, iv, ciphertext, authTag: cipher.getAuthTag() };
  }

  /** Throws when the secret was sealed under another key, altered, or moved to another record. */
  open(sealed: SealedSecret, associatedData: string): string {
    if (sealed.keyId !== this.keyId) throw new Error(`Secret sealed under unknown encryption key ${sealed.keyId}`);
    const decipher = createDecipheriv('aes-256-gcm', this.key, sealed.iv);
    decipher.setAAD(Buffer.from(associatedData));
    decipher.setAuthTag(sealed.authTag);
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString('utf8');
  }
}
