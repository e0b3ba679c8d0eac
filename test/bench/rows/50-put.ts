/** PUT of a 1 GiB file through a presigned URL against `sha256sum` of the same file (same run). */
import { join } from 'node:path';
import { MiB, PRIVATE, type Row } from '../lib/context.ts';
import { putFile, sha256sumSpeed } from '../lib/io.ts';

const WHAT = 'PUT 1 GiB';
const bigFile = (b: Parameters<Row['measure']>[0]) => b.file('1g.bin', 1024 * MiB, join(b.work, 'big'));

export const rows: Row[] = [
  {
    what: WHAT,
    who: 'sha256sum',
    measure: async (b) => ({ value: sha256sumSpeed(await bigFile(b), 1024 * MiB), unit: 'B/s' }),
  },
  {
    what: WHAT,
    who: 'Qoima presigned',
    compare: [{ row: `${WHAT} · sha256sum`, name: 'sha256sum', goal: 0.7 }],
    measure: async (b) => {
      const q = await b.qoima();
      const path = await bigFile(b);
      return { value: await putFile(await b.presignedPut(q.s3, PRIVATE, '1g.bin'), path), unit: 'B/s' };
    },
  },
];
