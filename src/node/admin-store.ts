/**
 * Whether the admin CLI is pointed at a store a server made: a command run beside a server that uses
 * another data directory would otherwise create a new, empty store and answer from it. A local
 * database file that does not exist yet is a new store; a libSQL server is taken as it is.
 */
import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Config } from '../local/config.ts';

export class NoStore extends Error {}

/** The path of a local database (file:...), or null for a libSQL server. */
function localDatabase(dbUrl: string): string | null {
  if (!dbUrl.startsWith('file:')) return null;
  return dbUrl.startsWith('file://') ? fileURLToPath(dbUrl) : dbUrl.slice('file:'.length);
}

export async function isNewStore(cfg: Config): Promise<boolean> {
  const file = localDatabase(cfg.dbUrl);
  if (file === null) return false;
  return access(file).then(
    () => false,
    () => true,
  );
}

export function noStoreMessage(cfg: Config): string {
  return (
    `no Qoima store in ${cfg.dataDir} (no ${localDatabase(cfg.dbUrl)}), and this command only reads, ` +
    'so none was created. Point it at the directory your server uses (its ready line names it): ' +
    'QOIMA_DATA_DIR=DIR or --data-dir DIR, or `source <data dir>/qoima.env`.'
  );
}
