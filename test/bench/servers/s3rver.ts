/**
 * Baseline: s3rver (the Node S3 server people pick for local work) with one bucket, `bench`, its data in
 * `<dir>`. `node --import tsx s3rver.ts <dir>`; prints `listening on <endpoint>`. Its credentials are
 * its defaults (S3RVER / S3RVER); anonymous GETs are let through, as s3rver does.
 */
import { createRequire } from 'node:module';

interface S3rverOptions {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
}
type S3rver = new (o: S3rverOptions) => { run(): Promise<{ port: number }> };

const S3rver = createRequire(import.meta.url)('s3rver') as S3rver;
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  directory: process.argv[2]!,
  silent: true,
  configureBuckets: [{ name: 'bench' }],
});
const { port } = await server.run();
console.log(`listening on http://127.0.0.1:${port}`);
process.on('SIGTERM', () => process.exit(0));
