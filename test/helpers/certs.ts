/** Self-signed test certificates made with openssl (EC P-256). */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PemPair {
  certificatePem: string;
  privateKeyPem: string;
  /** Where they were written (QOIMA_TLS_CERT / QOIMA_TLS_KEY take paths). */
  certificateFile: string;
  privateKeyFile: string;
}

/** A certificate for `names` (the first is the CN; all are SANs), valid `days` (negative: expired). */
export async function selfSignedCert(dir: string, names: string[], days = 30): Promise<PemPair> {
  const base = join(dir, `${names[0]!.replace(/\*/g, '_')}-${days}`);
  const [key, csr, cert, ext] = [`${base}.key`, `${base}.csr`, `${base}.crt`, `${base}.ext`];
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      `/CN=${names[0]}`,
    ],
    { stdio: 'ignore' },
  );
  await writeFile(ext, `subjectAltName=${names.map((n) => `DNS:${n}`).join(',')}\n`);
  execFileSync(
    'openssl',
    ['x509', '-req', '-in', csr, '-signkey', key, '-out', cert, '-days', String(days), '-extfile', ext],
    { stdio: 'ignore' },
  );
  return {
    certificatePem: await readFile(cert, 'utf8'),
    privateKeyPem: await readFile(key, 'utf8'),
    certificateFile: cert,
    privateKeyFile: key,
  };
}
