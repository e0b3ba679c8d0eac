/**
 * The metadata schema (libSQL). Changes go through drizzle-kit: edit tables/*.ts, `npm run db:generate`,
 * commit the new file under migrations/. Triggers that keep reference counts and bucket totals live in
 * hand-written migrations (drizzle-kit does not model triggers); they are described next to the tables.
 */
export * from './tables/access.ts';
export * from './tables/billing.ts';
export * from './tables/storage.ts';
export * from './tables/terms.ts';
