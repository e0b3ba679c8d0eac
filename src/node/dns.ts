/** TXT lookups for domain ownership checks: the system's resolvers, or the servers given. */
import { Resolver } from 'node:dns/promises';
import type { TxtLookup } from '../core/model/domains.ts';

export function txtLookup(servers: string[] = []): TxtLookup {
  const resolver = new Resolver({ timeout: 3000, tries: 2 });
  if (servers.length) resolver.setServers(servers);
  return async (name) => {
    try {
      return (await resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTFOUND' || code === 'ENODATA') return [];
      throw e;
    }
  };
}
