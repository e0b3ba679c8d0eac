/** Settings where there is a filesystem: the data directory resolved, the database in it by default. */
import { resolve } from 'node:path';
import { ConfigError, type Config as Settings, loadConfig as parseSettings } from '../core/config.ts';

export { ConfigError, endpointOf, maintenanceOptions, rollupOptions } from '../core/config.ts';

export type Config = Settings & { dbUrl: string };

export function loadConfig(env: Record<string, string | undefined>, argv: string[] = []): Config {
  const s = parseSettings(env, argv);
  const dataDir = resolve(s.dataDir);
  if (s.dbReplica && !/^(https?|libsql):/.test(s.dbUrl ?? ''))
    throw new ConfigError(
      'QOIMA_DB_REPLICA needs QOIMA_DB_URL to name a libSQL server (http(s): or libsql:)',
    );
  return { ...s, dataDir, dbUrl: s.dbUrl ?? `file:${resolve(dataDir, 'qoima.db')}` };
}
