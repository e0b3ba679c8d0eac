/** A bucket's settings: access, website, CORS rules, custom domains and their certificates, deletion. */
import type { Context } from 'hono';
import { seg } from '../api-client.ts';
import { type ConsoleApp, type Pages, type Shown, type SignedIn, done, noticeOf, statusOf } from '../kit.ts';
import { Csrf, Layout, Secret, when } from '../layout.tsx';
import { AccessPill } from './buckets.tsx';
import { WebsiteState, cnameTarget } from './addresses.tsx';
import { CorsCard, corsRulesAfter } from './cors.tsx';
import { refusedPage } from './refused.tsx';

export function settingsPages(app: ConsoleApp, pages: Pages): void {
  const base = (c: Context) => `/console/buckets/${seg(c.req.param('name')!)}/settings`;
  /** The bucket the page is about, as the API's routes name it. */
  const ofBucket = (c: Context) => ({ name: c.req.param('name')! });
  /** The bucket and one of its domains (named by the form). */
  const domain = (c: Context, form: Record<string, string>) => ({
    ...ofBucket(c),
    hostname: form.hostname ?? '',
  });

  const render = async (c: Context, s: SignedIn, shown: Shown) => {
    const name = c.req.param('name')!;
    const [info, bucket, website, cors, domains, certs] = await Promise.all([
      s.api.getEndpoint(),
      s.api.getBucket({ params: ofBucket(c) }),
      s.api.getWebsite({ params: ofBucket(c) }),
      s.api.getCors({ params: ofBucket(c) }),
      s.api.listDomains({ params: ofBucket(c) }),
      s.api.listCertificates(),
    ]);
    const certOf = new Map(certs.certificates.map((x) => [x.hostname, x]));
    const v = shown.values ?? {};
    return c.html(
      <Layout
        title={`${name}: settings`}
        section="buckets"
        csrf={s.csrf}
        notice={shown.notice}
        error={shown.error}
      >
        <p>
          <a href={`/console/buckets/${seg(name)}`}>{`← Objects in ${name}`}</a>
        </p>

        <form class="card" method="post" action={`/console/buckets/${seg(name)}/access`}>
          <h2>Access</h2>
          <p>
            Now <AccessPill b={bucket} />. Storage class <strong>{bucket.storageClass}</strong> (chosen at
            creation; it cannot be changed).
          </p>
          <Csrf token={s.csrf} />
          <input type="hidden" name="back" value={base(c)} />
          <fieldset>
            <legend>Who may download</legend>
            <label>
              <input
                type="radio"
                name="accessType"
                value="private"
                checked={bucket.accessType === 'private'}
              />{' '}
              Private: only you, your keys and signed links
            </label>
            <label>
              <input
                type="radio"
                name="accessType"
                value="public-read"
                checked={bucket.accessType === 'public-read'}
              />{' '}
              Public-read: anyone with the link
            </label>
          </fieldset>
          <button type="submit">Save access</button>
        </form>

        <form class="card" id="website" method="post" action={`${base(c)}/website`}>
          <h2>Website</h2>
          <WebsiteState name={name} website={website} bucket={bucket} info={info} />
          <Csrf token={s.csrf} />
          <label for="indexDocument">Index document</label>
          <input
            id="indexDocument"
            name="indexDocument"
            type="text"
            required
            value={v.indexDocument ?? website?.indexDocument ?? 'index.html'}
          />
          <label for="errorDocument">Error document (optional)</label>
          <input
            id="errorDocument"
            name="errorDocument"
            type="text"
            value={v.errorDocument ?? website?.errorDocument ?? ''}
            placeholder="404.html"
          />
          <div class="actions">
            <button type="submit">Save website settings</button>
            {website ? (
              <button type="submit" class="secondary" name="remove" value="1" formnovalidate>
                Stop serving as a website
              </button>
            ) : null}
          </div>
        </form>

        <CorsCard
          action={`${base(c)}/cors`}
          csrf={s.csrf}
          rules={cors.rules}
          edit={/^\d+$/.test(c.req.query('edit') ?? '') ? Number(c.req.query('edit')) : null}
          values={v}
        />

        <div class="card">
          <h2>Custom domains</h2>
          {domains.domains.length === 0 ? (
            <p>No domains attached.</p>
          ) : (
            domains.domains.map((d) => {
              const cert = certOf.get(d.hostname);
              return (
                <div class="card">
                  <h3>
                    {d.hostname}{' '}
                    {d.status === 'verified' ? (
                      <span class="pill ok">verified</span>
                    ) : (
                      <span class="pill bad">waiting for the TXT record</span>
                    )}
                  </h3>
                  {d.status === 'pending' ? (
                    <>
                      <p>
                        {'Publish this TXT record at your DNS provider, then verify; and point a CNAME ' +
                          `record for ${d.hostname} at ${cnameTarget(info)}:`}
                      </p>
                      <Secret label="Name" value={d.txtRecord.name} />
                      <Secret label="Value" value={d.txtRecord.value} />
                    </>
                  ) : (
                    <p class="hint">
                      {`Verified ${when(d.verifiedAt)}. ` +
                        `Point a CNAME record for ${d.hostname} at ${cnameTarget(info)}.`}
                    </p>
                  )}
                  <p>
                    {cert ? (
                      <>
                        Certificate for <span class="mono">{cert.subject}</span>, expires{' '}
                        {when(cert.notAfter)}{' '}
                        <span
                          class={cert.daysLeft < 14 ? 'pill bad' : 'pill ok'}
                        >{`${cert.daysLeft} days left`}</span>
                      </>
                    ) : (
                      'No certificate: HTTPS is not served for this name yet.'
                    )}
                  </p>
                  <div class="actions">
                    {d.status === 'pending' ? (
                      <form class="inline" method="post" action={`${base(c)}/domains/verify`}>
                        <Csrf token={s.csrf} />
                        <input type="hidden" name="hostname" value={d.hostname} />
                        <button type="submit">Verify now</button>
                      </form>
                    ) : null}
                    <form
                      class="inline"
                      method="post"
                      action={`${base(c)}/domains/remove`}
                      data-confirm={`Detach ${d.hostname}?`}
                    >
                      <Csrf token={s.csrf} />
                      <input type="hidden" name="hostname" value={d.hostname} />
                      <button type="submit" class="secondary">
                        Detach
                      </button>
                    </form>
                  </div>
                  <details>
                    <summary>{cert ? 'Replace the certificate' : 'Attach a certificate'}</summary>
                    <form method="post" action={`${base(c)}/domains/certificate`}>
                      <Csrf token={s.csrf} />
                      <input type="hidden" name="hostname" value={d.hostname} />
                      <label for={`cert-${d.hostname}`}>Certificate chain (PEM)</label>
                      <textarea
                        id={`cert-${d.hostname}`}
                        name="certificatePem"
                        required
                        placeholder="-----BEGIN CERTIFICATE-----"
                      ></textarea>
                      <label for={`key-${d.hostname}`}>Private key (PEM)</label>
                      <textarea
                        id={`key-${d.hostname}`}
                        name="privateKeyPem"
                        required
                        placeholder="-----BEGIN PRIVATE KEY-----"
                      ></textarea>
                      <p>
                        <button type="submit">Attach the certificate</button>
                      </p>
                    </form>
                  </details>
                </div>
              );
            })
          )}
          <form method="post" action={`${base(c)}/domains`}>
            <Csrf token={s.csrf} />
            <label for="hostname">Attach a domain</label>
            <input
              id="hostname"
              name="hostname"
              type="text"
              required
              placeholder="files.example.com"
              value={v.hostname ?? ''}
            />
            <p>
              <button type="submit">Attach</button>
            </p>
          </form>
        </div>

        <form
          class="card"
          method="post"
          action={`${base(c)}/delete`}
          data-confirm={`Delete the bucket ${name}?`}
        >
          <h2>Delete the bucket</h2>
          <p>
            {bucket.objectCount > 0
              ? `It still holds ${bucket.objectCount} objects: delete them first.`
              : 'The bucket is empty and can be deleted.'}
          </p>
          <Csrf token={s.csrf} />
          <button class="danger" type="submit">
            Delete the bucket
          </button>
        </form>
      </Layout>,
      statusOf(shown.status),
    );
  };

  app.get(
    '/buckets/:name/settings',
    pages.page((c, s) =>
      render(c, s, {
        notice: noticeOf(c),
        error:
          c.req.query('website') === 'private'
            ? 'The website settings were saved, but this bucket is private: visitors get 403 Forbidden ' +
              'until you make it public (Access, above).'
            : null,
      }).catch((e) => refusedPage(c, s, e)),
    ),
  );

  app.post(
    '/buckets/:name/settings/website',
    pages.action(async (c, s, form) => {
      if (form.remove) {
        await s.api.deleteWebsite({ params: ofBucket(c) });
        return done(c, base(c), 'website-removed');
      }
      await s.api.putWebsite({
        params: ofBucket(c),
        body: {
          indexDocument: (form.indexDocument ?? '').trim(),
          errorDocument: form.errorDocument?.trim() || undefined,
        },
      });
      const { accessType } = await s.api.getBucket({ params: ofBucket(c) });
      // saved, but a private bucket's website answers 403: the page says so instead of "saved"
      return accessType === 'public-read'
        ? done(c, base(c), 'website-saved')
        : c.redirect(`${base(c)}?website=private#website`, 303);
    }, render),
  );

  app.post(
    '/buckets/:name/settings/cors',
    pages.action(async (c, s, form) => {
      const { rules } = await s.api.getCors({ params: ofBucket(c) });
      await s.api.putCors({ params: ofBucket(c), body: { rules: corsRulesAfter(rules, form) } });
      return done(c, base(c), 'cors-saved');
    }, render),
  );

  app.post(
    '/buckets/:name/settings/domains',
    pages.action(async (c, s, form) => {
      await s.api.attachDomain({ params: ofBucket(c), body: { hostname: (form.hostname ?? '').trim() } });
      return done(c, base(c), 'domain-added');
    }, render),
  );

  app.post(
    '/buckets/:name/settings/domains/verify',
    pages.action(async (c, s, form) => {
      await s.api.verifyDomain({ params: domain(c, form) });
      return done(c, base(c), 'domain-verified');
    }, render),
  );

  app.post(
    '/buckets/:name/settings/domains/remove',
    pages.action(async (c, s, form) => {
      await s.api.detachDomain({ params: domain(c, form) });
      return done(c, base(c), 'domain-removed');
    }, render),
  );

  app.post(
    '/buckets/:name/settings/domains/certificate',
    pages.action(async (c, s, form) => {
      await s.api.putCertificate({
        params: domain(c, form),
        body: { certificatePem: form.certificatePem ?? '', privateKeyPem: form.privateKeyPem ?? '' },
      });
      return done(c, base(c), 'certificate-saved');
    }, render),
  );

  app.post(
    '/buckets/:name/settings/delete',
    pages.action(async (c, s) => {
      await s.api.deleteBucket({ params: ofBucket(c) });
      return done(c, '/console/buckets', 'bucket-deleted');
    }, render),
  );
}
