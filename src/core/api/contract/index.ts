/**
 * Every route of the JSON API, declared once (see route.ts). The server's handlers (api/*.ts) are
 * checked against these, the typed client (client.ts) is made from them, and so is the OpenAPI
 * document; the order here is the order of the document.
 */
import { billingRoutes } from './billing.ts';
import { bucketRoutes } from './buckets.ts';
import { domainRoutes } from './domains.ts';
import { keyRoutes } from './keys.ts';
import { objectToolRoutes } from './object-tools.ts';
import { objectRoutes } from './objects.ts';
import { operatorBillingRoutes, operatorRoutes } from './operator.ts';
import { termsOperatorRoutes, termsRoutes } from './terms.ts';

export const contract = {
  ...bucketRoutes,
  ...domainRoutes,
  ...keyRoutes,
  ...objectRoutes,
  ...objectToolRoutes,
  ...billingRoutes,
  ...operatorRoutes,
  ...operatorBillingRoutes,
  ...termsRoutes,
  ...termsOperatorRoutes,
};
export type Contract = typeof contract;
