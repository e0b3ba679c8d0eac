/** The price list in the customer's words: next to the storage-class choice and on the billing page. */
import type { FC } from 'hono/jsx';
import type { EndpointView } from '../../api/contract/object-tools.ts';
import { money } from '../layout.tsx';

type Class = 'STANDARD' | 'COLD';

/** Prices of one storage class, in a line. */
export function priceLine(info: EndpointView, cls: Class): string {
  const p = info.prices;
  const m = (n: number) => money(n, p.currency);
  const retrieval = p.retrievalPerGiB[cls] ? `, reading out ${m(p.retrievalPerGiB[cls])} per GiB` : '';
  return (
    `${m(p.storagePerGiBMonth[cls])} per GiB-month stored, ` +
    `${m(p.classAPerMillion[cls])} per million writes and lists, ` +
    `${m(p.classBPerMillion[cls])} per million reads${retrieval}`
  );
}

export const PriceTable: FC<{ info: EndpointView }> = ({ info }) => {
  const p = info.prices;
  const m = (n: number) => money(n, p.currency);
  const rows: [string, (c: Class) => string][] = [
    ['Storage, per GiB-month', (c) => m(p.storagePerGiBMonth[c])],
    ['Writes and lists (class A), per million', (c) => m(p.classAPerMillion[c])],
    ['Reads (class B), per million', (c) => m(p.classBPerMillion[c])],
    ['Reading data out (retrieval), per GiB', (c) => m(p.retrievalPerGiB[c])],
    ['Traffic to the internet, per GiB', () => m(p.egressPerGiB)],
  ];
  return (
    <div class="card" id="prices">
      <h2>Prices</h2>
      <table class="stack">
        <thead>
          <tr>
            <th>Item</th>
            <th class="num">STANDARD</th>
            <th class="num">COLD</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([label, f]) => (
            <tr>
              <td data-label="Item">{label}</td>
              <td data-label="STANDARD" class="num">
                {f('STANDARD')}
              </td>
              <td data-label="COLD" class="num">
                {f('COLD')}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
};
