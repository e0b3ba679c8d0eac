/**
 * `<data dir>/qoima.env`: what a shell needs to follow the README against this server, written at every
 * start (mode 0600: it holds the first account's secret and the operator token). One
 * `source storage/qoima.env` sets the endpoint, the first account's id and root keys (as aws-cli and the
 * SDKs read them), the region and the data directory (so the admin CLI opens this server's store).
 * With several nodes on one data directory, the last node started is the one named.
 */
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db } from '../core/db/index.ts';
import { firstAccount, rootCredential } from '../core/model/accounts.ts';
import type { SecretBox } from '../core/secretbox.ts';
import type { Config } from './config.ts';

/** A value as bash reads it back, whatever it holds. */
const quoted = (v: string) => `'${v.replace(/'/g, `'\\''`)}'`;

export async function writeEnvFile(
  deps: { db: Db; box: SecretBox },
  cfg: Config,
  endpoint: string,
): Promise<{ path: string; accountId: string | null }> {
  const account = await firstAccount(deps.db);
  const root = account ? await rootCredential(deps, account.id) : null;
  const operatorToken =
    cfg.operatorToken ?? (await readFile(join(cfg.dataDir, 'operator-token'), 'utf8').catch(() => null));
  const vars: [string, string | null | undefined][] = [
    ['QOIMA_ENDPOINT', endpoint],
    ['QOIMA_DATA_DIR', cfg.dataDir],
    ['QOIMA_ACCOUNT_ID', account?.id],
    ['AWS_ACCESS_KEY_ID', root?.accessKeyId],
    ['AWS_SECRET_ACCESS_KEY', root?.secretAccessKey],
    ['AWS_DEFAULT_REGION', cfg.region],
    ['AWS_REGION', cfg.region],
    ['AWS_ENDPOINT_URL', endpoint],
    ['QOIMA_OPERATOR_TOKEN', operatorToken?.trim()],
  ];
  const lines = vars.filter(([, v]) => v).map(([k, v]) => `export ${k}=${quoted(v!)}`);
  const path = join(cfg.dataDir, 'qoima.env');
  const text =
    `# Written by the Qoima server at start-up (${new Date().toISOString()}). Use: source ${path}\n` +
    `${lines.join('\n')}\n`;
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600);
  return { path, accountId: account?.id ?? null };
}
