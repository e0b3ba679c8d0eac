import { defineConfig } from 'drizzle-kit';

// Schema changes: edit src/core/db/schema.ts, then `npm run db:generate` writes a new migration
// into migrations/. Landed migrations are never edited; the server applies new ones at start-up.
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/core/db/tables/*.ts',
  out: './migrations',
});
