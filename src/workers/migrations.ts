/**
 * migrations/ bundled into the worker (wrangler.toml imports *.sql as text). A new drizzle-kit
 * migration must be added here too; start-up fails naming any journal entry that is missing.
 */
import journal from '../../migrations/meta/_journal.json';
import m0000 from '../../migrations/0000_init.sql';
import m0001 from '../../migrations/0001_refcount_triggers.sql';
import m0002 from '../../migrations/0002_multipart.sql';
import m0003 from '../../migrations/0003_chunk_read_check.sql';
import m0004 from '../../migrations/0004_public_access_domains.sql';
import m0005 from '../../migrations/0005_keys_quotas.sql';
import m0006 from '../../migrations/0006_request_log_billing.sql';
import m0007 from '../../migrations/0007_console.sql';
import m0008 from '../../migrations/0008_issued_invoices.sql';
import m0009 from '../../migrations/0009_copy_retrieval.sql';
import m0010 from '../../migrations/0010_release_stranded_domains.sql';
import m0011 from '../../migrations/0011_usage_by_class_and_trial.sql';
import m0012 from '../../migrations/0012_object_parts.sql';
import m0013 from '../../migrations/0013_object_parts_upkeep.sql';
import m0014 from '../../migrations/0014_terms.sql';
import m0015 from '../../migrations/0015_request_log_bucket_time.sql';
import m0016 from '../../migrations/0016_settings_generation.sql';
import m0017 from '../../migrations/0017_settings_generation_triggers.sql';
import { type Journal, loadMigrations, type Migration } from '../core/db/migrate.ts';

const BUNDLED: Record<string, string> = {
  '0000_init': m0000,
  '0001_refcount_triggers': m0001,
  '0002_multipart': m0002,
  '0003_chunk_read_check': m0003,
  '0004_public_access_domains': m0004,
  '0005_keys_quotas': m0005,
  '0006_request_log_billing': m0006,
  '0007_console': m0007,
  '0008_issued_invoices': m0008,
  '0009_copy_retrieval': m0009,
  '0010_release_stranded_domains': m0010,
  '0011_usage_by_class_and_trial': m0011,
  '0012_object_parts': m0012,
  '0013_object_parts_upkeep': m0013,
  '0014_terms': m0014,
  '0015_request_log_bucket_time': m0015,
  '0016_settings_generation': m0016,
  '0017_settings_generation_triggers': m0017,
};

export function bundledMigrations(): Promise<Migration[]> {
  return loadMigrations(journal as Journal, async (tag) => {
    const sql = BUNDLED[tag];
    if (sql === undefined)
      throw new Error(`migration ${tag} is not bundled: add it to src/workers/migrations.ts`);
    return sql;
  });
}
