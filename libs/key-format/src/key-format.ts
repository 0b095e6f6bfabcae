// The API key format of DESIGN "Keys": prefix + 32 random bytes in base62 + CRC32 checksum in base62.
import { hash, randomBytes } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { bytesToBigInt, encodeBase62 } from './base62.js';

export const DEFAULT_KEY_PREFIX = 'gw-sk-';
const SECRET_BYTES = 32;
const BASE62_TEXT = /^[0-9A-Za-z]+$/;
/** ceil(256 / log2(62)) */
export const BODY_LENGTH = 43;
/** 62^6 > 2^32 */
export const CHECKSUM_LENGTH = 6;

export type ParsedKey =
  { ok: true; key: string } | { ok: false; reason: 'prefix' | 'length' | 'charset' | 'checksum' };

export interface KeyFormat {
  readonly prefix: string;
  generate(): string;
  parse(presented: string): ParsedKey;
  mask(key: string): string;
}

function checksum(text: string): string {
  return encodeBase62(BigInt(crc32(text)), CHECKSUM_LENGTH);
}

export function createKeyFormat(prefix: string = DEFAULT_KEY_PREFIX): KeyFormat {
  if (!/^[a-z0-9_-]{1,16}$/i.test(prefix)) throw new Error(`invalid key prefix "${prefix}"`);
  const total = prefix.length + BODY_LENGTH + CHECKSUM_LENGTH;
  return {
    prefix,
    generate() {
      const body = prefix + encodeBase62(bytesToBigInt(randomBytes(SECRET_BYTES)), BODY_LENGTH);
      return body + checksum(body);
    },
    parse(presented) {
      if (!presented.startsWith(prefix)) return { ok: false, reason: 'prefix' };
      if (presented.length !== total) return { ok: false, reason: 'length' };
      const rest = presented.slice(prefix.length);
      if (!BASE62_TEXT.test(rest)) return { ok: false, reason: 'charset' };
      const body = presented.slice(0, total - CHECKSUM_LENGTH);
      if (checksum(body) !== presented.slice(total - CHECKSUM_LENGTH))
        return { ok: false, reason: 'checksum' };
      return { ok: true, key: presented };
    },
    mask(key) {
      return `${prefix}****${key.slice(-4)}`;
    },
  };
}

/** SHA-256 of the whole key, hex: the only form of a key that is ever stored or sent between services. */
export function hashKey(key: string): string {
  // One-shot: no Hash object per call (~0.4 µs against ~1.2 here; every gateway request hashes its key).
  return hash('sha256', key, 'hex');
}
