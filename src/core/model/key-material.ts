/** New access key ids and secrets (root users' and access keys' alike). */
import { randomBase32, randomBytes, toBase64Url } from '../digests.ts';

export function newAccessKeyId(): string {
  return `QK${randomBase32(18).toUpperCase()}`;
}

export function newSecretAccessKey(): string {
  return toBase64Url(randomBytes(30));
}
