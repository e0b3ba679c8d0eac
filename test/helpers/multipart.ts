/**
 * Multipart uploads made with the real AWS SDK, for the multipart tests (test/multipart*.test.ts,
 * test/parts*.test.ts). Each file binds them to its client (made in beforeAll, hence a getter) and bucket.
 */
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { createChecksum } from '../../src/core/checksums.ts';
import { nodeDigests } from '../../src/local/digests.ts';

/** test/multipart*.test.ts: parts numbered 1..N, every checksum the answers carry; reading an object back. */
export function sdkMultipart(getClient: () => S3Client, B: string) {
  const readAll = async (key: string) =>
    Buffer.from(
      await (
        await getClient().send(new GetObjectCommand({ Bucket: B, Key: key }))
      ).Body!.transformToByteArray(),
    );

  async function uploadParts(
    key: string,
    parts: Uint8Array[],
    create: Partial<ConstructorParameters<typeof CreateMultipartUploadCommand>[0]> = {},
  ) {
    const client = getClient();
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: B, Key: key, ...create }),
    );
    const done = [];
    for (const [i, Body] of parts.entries()) {
      const r = await client.send(
        new UploadPartCommand({
          Bucket: B,
          Key: key,
          UploadId,
          PartNumber: i + 1,
          Body,
          ChecksumAlgorithm: create.ChecksumAlgorithm,
        }),
      );
      done.push({
        PartNumber: i + 1,
        ETag: r.ETag!,
        ChecksumCRC32: r.ChecksumCRC32,
        ChecksumCRC64NVME: r.ChecksumCRC64NVME,
        ChecksumSHA256: r.ChecksumSHA256,
      });
    }
    return { UploadId: UploadId!, done };
  }

  return { readAll, uploadParts };
}

export type Alg = 'CRC32' | 'CRC32C' | 'CRC64NVME' | 'SHA1' | 'SHA256';

/** The checksum of `data` as S3 sends it (base64). */
export const b64 = (alg: Alg, data: Uint8Array) => {
  const h = createChecksum(alg, nodeDigests);
  h.update(data);
  return Buffer.from(h.digest()).toString('base64');
};
export interface Done {
  PartNumber: number;
  ETag: string;
  [k: `Checksum${string}`]: string | undefined;
}

/** test/parts*.test.ts: parts under chosen numbers with one checksum algorithm, and completing them. */
export function partsMultipart(getClient: () => S3Client, B: string) {
  /**
   * Uploads `parts` under the given numbers (1..N by default); returns the upload id and the list to
   * complete.
   */
  async function upload(
    key: string,
    parts: Uint8Array[],
    opts: { alg?: Alg; type?: 'COMPOSITE' | 'FULL_OBJECT'; numbers?: number[] } = {},
  ) {
    const client = getClient();
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({
        Bucket: B,
        Key: key,
        ChecksumAlgorithm: opts.alg,
        ChecksumType: opts.type,
      }),
    );
    const done: Done[] = [];
    for (const [i, Body] of parts.entries()) {
      const PartNumber = opts.numbers?.[i] ?? i + 1;
      const r = await client.send(
        new UploadPartCommand({
          Bucket: B,
          Key: key,
          UploadId,
          PartNumber,
          Body,
          ChecksumAlgorithm: opts.alg,
        }),
      );
      const entry: Done = { PartNumber, ETag: r.ETag! };
      if (opts.alg) entry[`Checksum${opts.alg}`] = r[`Checksum${opts.alg}`];
      done.push(entry);
    }
    return { UploadId: UploadId!, done };
  }

  const complete = (key: string, UploadId: string, Parts: Done[], extra: Record<string, unknown> = {}) =>
    getClient().send(
      new CompleteMultipartUploadCommand({
        Bucket: B,
        Key: key,
        UploadId,
        MultipartUpload: { Parts },
        ...extra,
      }),
    );

  return { upload, complete };
}
