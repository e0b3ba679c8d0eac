/** A customer's identity (BIN/IIN or e-mail) in the one spelling it is stored and compared in. */

/**
 * One customer, one spelling: `Ops@Acme.kz ` and `ops@acme.kz`, or a BIN written with spaces, are the
 * same customer (the trial is once per customer).
 */
export function normalizeCustomerId(id: string | undefined | null): string | null {
  const v = (id ?? '').trim().toLowerCase();
  if (!v) return null;
  return /^[\d\s-]+$/.test(v) ? v.replace(/[\s-]/g, '') : v.replace(/\s+/g, ' ');
}
