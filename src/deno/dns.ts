/// <reference lib="deno.ns" />
/** TXT lookups for domain ownership checks with Deno's resolver: the system's, or the first server given. */
import type { TxtLookup } from '../core/model/domains.ts';

export function txtLookup(servers: string[] = []): TxtLookup {
  const first = servers[0];
  const at = first?.lastIndexOf(':') ?? -1;
  const nameServer =
    first === undefined
      ? undefined
      : at > 0
        ? { ipAddr: first.slice(0, at), port: Number(first.slice(at + 1)) }
        : { ipAddr: first, port: 53 };
  return async (name) => {
    try {
      const records = await Deno.resolveDns(name, 'TXT', nameServer ? { nameServer } : {});
      return records.map((chunks) => chunks.join(''));
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return [];
      throw e;
    }
  };
}
