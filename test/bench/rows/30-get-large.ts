/**
 * Large GETs, 1 and 16 clients: Qoima through presigned URLs (every request verified, every chunk
 * checked) against nginx's sendfile of the same bytes.
 */
import { MiB, PRIVATE, type Row } from '../lib/context.ts';
import { SECONDS, transferRate } from '../lib/wrk.ts';

const sizes = [
  {
    text: '1 MiB',
    name: '1m.bin',
    bytes: MiB,
    goal: (clients: number) => (clients === 16 ? 0.6 : undefined),
  },
  { text: '256 MiB', name: '256m.bin', bytes: 256 * MiB, goal: () => 0.8 },
];

export const rows: Row[] = sizes.flatMap(({ text, name, bytes, goal }) =>
  [1, 16].flatMap((clients): Row[] => {
    const what = `GET ${text}, ${clients} client${clients > 1 ? 's' : ''}`;
    // a 256 MiB run needs time for more than a handful of whole responses
    const opts = { connections: clients, seconds: bytes > MiB ? Math.max(SECONDS, 8) : SECONDS };
    return [
      {
        what,
        who: 'nginx',
        measure: async (b) => {
          await b.file(name, bytes);
          return transferRate(`${(await b.nginx()).endpoint}/${name}`, opts);
        },
      },
      {
        what,
        who: 'Qoima presigned',
        compare: [{ row: `${what} · nginx`, name: 'nginx', goal: goal(clients) }],
        measure: async (b) => {
          const q = await b.qoima();
          await b.stored(q, PRIVATE, name, bytes);
          return transferRate(await b.presignedGet(q.s3, PRIVATE, name), opts);
        },
      },
    ];
  }),
);
