/**
 * Where a bucket is reached, said with the customer's own values: its S3 address, path-style URL,
 * website URL (and why it would answer 403), custom domains and what their CNAME points at.
 */
import type { FC } from 'hono/jsx';
import type { BucketView } from '../../api/contract/buckets.ts';
import type { EndpointView } from '../../api/contract/object-tools.ts';
import { seg } from '../api-client.ts';

/** The website address of a bucket: http://<bucket>.<first website domain>[:port]/ (null: none). */
export function websiteUrl(bucket: string, info: EndpointView): string | null {
  const domain = info.websiteDomains[0];
  if (!domain) return null;
  const u = new URL(info.endpoint);
  return `${u.protocol}//${bucket}.${domain}${u.port ? `:${u.port}` : ''}/`;
}

/** The host a customer's CNAME points at: the service's own (custom domains are routed by Host). */
export function cnameTarget(info: EndpointView): string {
  return new URL(info.endpoint).hostname;
}

/** The website card's state: where the site is, or how to serve one, and why it would answer 403. */
export const WebsiteState: FC<{
  name: string;
  website: { indexDocument: string } | null;
  bucket: Pick<BucketView, 'accessType' | 'website'>;
  info: EndpointView;
}> = ({ name, website, bucket, info }) => {
  const url = websiteUrl(name, info);
  return website ? (
    <>
      <p id="website-state">
        {`Served as a website (/ shows ${website.indexDocument})`}
        {url ? (
          <>
            {' at '}
            <a href={url}>{url}</a>{' '}
            <button type="button" class="link" data-copy={url} aria-label="Copy the website URL">
              Copy
            </button>
          </>
        ) : null}
      </p>
      <WebsiteWarning bucket={bucket} />
    </>
  ) : (
    <p class="hint">Serve the bucket as a static site (needs public-read access).</p>
  );
};

export const WebsiteWarning: FC<{ bucket: Pick<BucketView, 'accessType' | 'website'> }> = ({ bucket }) =>
  bucket.website && bucket.accessType !== 'public-read' ? (
    <p class="flash warn" role="note">
      This bucket is private, so its website answers every visitor with 403 Forbidden. Make the bucket public
      for the website to be seen.
    </p>
  ) : null;

/** A line with a copy button. */
const Copyable: FC<{ label: string; value: string; id?: string }> = ({ label, value, id }) => (
  <li class="copyable">
    <span class="muted">{label}</span> <code id={id}>{value}</code>{' '}
    <button type="button" class="link" data-copy={value} aria-label={`Copy ${label}`}>
      Copy
    </button>
  </li>
);

export const BucketAddresses: FC<{ bucket: BucketView; info: EndpointView }> = ({ bucket, info }) => {
  const web = websiteUrl(bucket.name, info);
  return (
    <section class="card" id="addresses" aria-labelledby="addresses-title">
      <h2 id="addresses-title">Addresses</h2>
      <ul class="plain">
        <Copyable label="S3 endpoint" value={info.endpoint} />
        <Copyable label="Region" value={info.region} />
        <Copyable label="S3 URI" value={`s3://${bucket.name}`} />
        <Copyable label="Path-style URL" value={`${info.endpoint}/${seg(bucket.name)}/`} id="bucket-url" />
        {bucket.website && web ? <Copyable label="Website" value={web} id="website-url" /> : null}
      </ul>
      {bucket.accessType === 'public-read' ? (
        <p class="hint">Public: anyone can read an object at its path-style URL followed by its key.</p>
      ) : (
        <p class="hint">Private: objects are read with your keys or with presigned links.</p>
      )}
      <WebsiteWarning bucket={bucket} />
    </section>
  );
};
