// Webhook signing secrets at rest: AES-256-GCM under a key derived (HKDF-SHA256) from the configured
// encryption key. The sender needs the plaintext to sign, so a hash would not do; a database dump alone
// does not give the secrets away. Each sealed value is bound to its webhook id (GCM associated data), so a
// ciphertext copied onto another row does not open.
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  private readonly key: Buffer;

  constructor(material: string) {
    if (material.length < 16) throw new Error('The webhook encryption key is too short.');
    this.key = Buffer.from(hkdfSync('sha256', material, 'gw-key-service', 'webhook-secrets/v1', 32));
  }

  /** `v1.<base64url(iv | ciphertext | tag)>`. */
  seal(plaintext: string, boundTo: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    cipher.setAAD(Buffer.from(boundTo, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${VERSION}.${Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url')}`;
  }

  /** The plaintext; throws when the value was altered, bound to another id, or sealed with another key. */
  open(sealed: string, boundTo: string): string {
    const [version, data, extra] = sealed.split('.');
    if (version !== VERSION || !data || extra !== undefined) throw new Error('Unknown sealed secret format.');
    const raw = Buffer.from(data, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('Sealed secret too short.');
    const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(boundTo, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    return Buffer.concat([
      decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  }
}
