/**
 * The 4 KiB rows for Qoima's Deno entry (`npm run start:deno`, its own data directory), compared with
 * the same baselines as the Node rows. The goals are the Node entry's; these rows show the ratios only.
 */
import { PRIVATE, PUBLIC, type Row } from '../lib/context.ts';
import { requestRate } from '../lib/wrk.ts';
import { C, GET_4K, SITE, vs, websiteRate } from './10-small.ts';

export const rows: Row[] = [
  {
    what: GET_4K,
    who: 'Qoima on Deno, anonymous',
    compare: vs(GET_4K),
    measure: async (b) => {
      const q = await b.qoima('deno');
      await b.stored(q, PUBLIC, '4k.bin', 4096);
      return requestRate(`${q.server.endpoint}/${PUBLIC}/4k.bin`, { connections: C });
    },
  },
  {
    what: GET_4K,
    who: 'Qoima on Deno, presigned',
    compare: vs(GET_4K),
    measure: async (b) => {
      const q = await b.qoima('deno');
      await b.stored(q, PRIVATE, '4k.bin', 4096);
      return requestRate(await b.presignedGet(q.s3, PRIVATE, '4k.bin'), { connections: C });
    },
  },
  {
    what: SITE,
    who: 'Qoima on Deno, website host',
    compare: vs(SITE),
    measure: (b) => websiteRate(b, 'deno'),
  },
];
