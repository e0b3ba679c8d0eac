/**
 * S3's additional checksums (x-amz-checksum-*): CRC32, CRC32C and CRC64NVME in plain JavaScript
 * (slicing-by-8 tables for the 32-bit ones), SHA1 and SHA256 from the runtime's digests.
 * Every value travels as base64 of the big-endian digest, as S3 writes it.
 */
import type { Digests, Hasher } from './digests.ts';

export const CHECKSUM_ALGORITHMS = ['CRC32', 'CRC32C', 'CRC64NVME', 'SHA1', 'SHA256'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function isChecksumAlgorithm(v: string): v is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(v);
}

export function checksumHeader(alg: ChecksumAlgorithm): string {
  return `x-amz-checksum-${alg.toLowerCase()}`;
}

function crc32Tables(poly: number): Int32Array {
  const t = new Int32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ poly : c >>> 1;
    t[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!;
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + n] = c;
    }
  }
  return t;
}

const CRC32_TABLES = crc32Tables(0xedb88320);
const CRC32C_TABLES = crc32Tables(0x82f63b78);

function crc32Update(t: Int32Array, crc: number, d: Uint8Array): number {
  let c = ~crc;
  let i = 0;
  const len = d.length;
  for (; i + 8 <= len; i += 8) {
    const a = c ^ (d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24));
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + d[i + 4]!]! ^
      t[512 + d[i + 5]!]! ^
      t[256 + d[i + 6]!]! ^
      t[d[i + 7]!]!;
  }
  for (; i < len; i++) c = t[(c ^ d[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

// CRC64/NVME: reflected polynomial 0x9a6c9329ac4bc9b5, held as two 32-bit halves.
const CRC64_LO = new Uint32Array(256);
const CRC64_HI = new Uint32Array(256);
for (let n = 0; n < 256; n++) {
  let lo = n >>> 0;
  let hi = 0;
  for (let k = 0; k < 8; k++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      lo = (lo ^ 0xac4bc9b5) >>> 0;
      hi = (hi ^ 0x9a6c9329) >>> 0;
    }
  }
  CRC64_LO[n] = lo;
  CRC64_HI[n] = hi;
}

const encoder = new TextEncoder();
const bytesOf = (d: Uint8Array | string) => (typeof d === 'string' ? encoder.encode(d) : d);

class Crc32Hasher implements Hasher {
  private crc = 0;
  constructor(private readonly tables: Int32Array) {}
  update(data: Uint8Array | string): void {
    this.crc = crc32Update(this.tables, this.crc, bytesOf(data));
  }
  digest(): Uint8Array {
    const out = new Uint8Array(4);
    new DataView(out.buffer).setUint32(0, this.crc);
    return out;
  }
}

class Crc64NvmeHasher implements Hasher {
  private lo = 0xffffffff;
  private hi = 0xffffffff;
  update(data: Uint8Array | string): void {
    const d = bytesOf(data);
    let lo = this.lo;
    let hi = this.hi;
    for (let i = 0; i < d.length; i++) {
      const idx = (lo ^ d[i]!) & 0xff;
      lo = (((lo >>> 8) | (hi << 24)) ^ CRC64_LO[idx]!) >>> 0;
      hi = ((hi >>> 8) ^ CRC64_HI[idx]!) >>> 0;
    }
    this.lo = lo;
    this.hi = hi;
  }
  digest(): Uint8Array {
    const out = new Uint8Array(8);
    const v = new DataView(out.buffer);
    v.setUint32(0, ~this.hi >>> 0);
    v.setUint32(4, ~this.lo >>> 0);
    return out;
  }
}

export function createChecksum(alg: ChecksumAlgorithm, digests: Digests): Hasher {
  switch (alg) {
    case 'CRC32':
      return new Crc32Hasher(CRC32_TABLES);
    case 'CRC32C':
      return new Crc32Hasher(CRC32C_TABLES);
    case 'CRC64NVME':
      return new Crc64NvmeHasher();
    case 'SHA1':
      return digests.createHash('sha1');
    case 'SHA256':
      return digests.createHash('sha256');
  }
}

/** Length in bytes of each algorithm's digest, to validate a client-sent base64 value. */
export const CHECKSUM_LENGTH: Record<ChecksumAlgorithm, number> = {
  CRC32: 4,
  CRC32C: 4,
  CRC64NVME: 8,
  SHA1: 20,
  SHA256: 32,
};

// ---- multipart: checksums of a whole object from its parts' checksums ----

const CRC_PARAMS: Partial<Record<ChecksumAlgorithm, { poly: bigint; width: number }>> = {
  CRC32: { poly: 0xedb88320n, width: 32 },
  CRC32C: { poly: 0x82f63b78n, width: 32 },
  CRC64NVME: { poly: 0x9a6c9329ac4bc9b5n, width: 64 },
};

/** Whether the algorithm can give a FULL_OBJECT checksum of a multipart object (the CRCs can). */
export function supportsFullObject(alg: ChecksumAlgorithm): boolean {
  return CRC_PARAMS[alg] !== undefined;
}

function toBig(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function fromBig(v: bigint, width: number): Uint8Array {
  const out = new Uint8Array(width / 8);
  for (let i = out.length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function gf2Times(mat: bigint[], vec: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vec; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i]!;
  return sum;
}

function gf2Square(mat: bigint[]): bigint[] {
  return mat.map((row) => gf2Times(mat, row));
}

/**
 * CRC of A‖B from crc(A), crc(B) and |B| (zlib's crc32_combine, for any reflected CRC whose init and
 * final xor are all ones, which CRC32, CRC32C and CRC64/NVME all are).
 */
export function combineCrc(
  alg: ChecksumAlgorithm,
  crcA: Uint8Array,
  crcB: Uint8Array,
  lengthB: number,
): Uint8Array {
  const p = CRC_PARAMS[alg];
  if (!p) throw new Error(`${alg} is not a CRC`);
  let crc = toBig(crcA);
  let len = BigInt(lengthB);
  if (len === 0n) return crcA;
  // operator for one zero bit, then squared to two and four zero bits
  let odd: bigint[] = [p.poly, ...Array.from({ length: p.width - 1 }, (_, n) => 1n << BigInt(n))];
  let even = gf2Square(odd);
  odd = gf2Square(even);
  do {
    even = gf2Square(odd);
    if (len & 1n) crc = gf2Times(even, crc);
    len >>= 1n;
    if (!len) break;
    odd = gf2Square(even);
    if (len & 1n) crc = gf2Times(odd, crc);
    len >>= 1n;
  } while (len);
  return fromBig(crc ^ toBig(crcB), p.width);
}
