/** The console's page frame (navigation, messages, sign-out) and small formatting helpers. */
import { raw } from 'hono/html';
import type { Child, FC } from 'hono/jsx';
import { CSS, JS } from './assets.ts';

/** Short content hashes for the asset URLs, so browsers may cache them for good. */
function hash(text: string): string {
  let h = 5381;
  for (let i = 0; i < text.length; i++) h = ((h << 5) + h + text.charCodeAt(i)) >>> 0;
  return h.toString(36);
}
export const ASSET_VERSION = { css: hash(CSS), js: hash(JS) };

export type Section = 'overview' | 'buckets' | 'keys' | 'usage' | 'terms' | null;

const NAV: [Exclude<Section, null>, string, string][] = [
  ['overview', 'Overview', '/console'],
  ['buckets', 'Buckets', '/console/buckets'],
  ['keys', 'Access keys', '/console/keys'],
  ['usage', 'Usage & billing', '/console/usage'],
  ['terms', 'Support & terms', '/console/terms'],
];

/** Fixed texts for `?done=` after a successful form: never text taken from the URL. */
export const NOTICES: Record<string, string> = {
  'bucket-created': 'The bucket is ready.',
  'bucket-deleted': 'The bucket was deleted.',
  'access-changed': 'The access type was changed; it applies from the next request.',
  'object-deleted': 'The object was deleted.',
  'key-revoked': 'The key was revoked; it stops working everywhere within seconds.',
  'website-saved': 'The website settings were saved.',
  'website-removed': 'The bucket is no longer served as a website.',
  'cors-saved': 'The CORS rules were saved.',
  'domain-added': 'The domain was attached: publish the TXT record below, then verify.',
  'domain-verified': 'The domain is verified and served from now on.',
  'domain-removed': 'The domain was detached.',
  'certificate-saved': 'The certificate was attached; HTTPS uses it from the next connection.',
  'login-saved': 'Your console login was saved.',
  'signed-out': 'You are signed out.',
  'service-deleted': 'The service was deleted. Thank you for using Qoima.',
};

export interface Frame {
  title: string;
  section: Section;
  /** Present when signed in: the sign-out form and scripts need it. */
  csrf?: string;
  notice?: string | null;
  error?: string | null;
  children?: Child;
}

export const Layout: FC<Frame> = (p) => (
  <>
    {raw('<!DOCTYPE html>')}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {p.csrf ? <meta name="csrf-token" content={p.csrf} /> : null}
        <title>{`${p.title} · Qoima`}</title>
        <link rel="icon" href="data:," />
        <link rel="stylesheet" href={`/console/assets/app.css?v=${ASSET_VERSION.css}`} />
        <script src={`/console/assets/app.js?v=${ASSET_VERSION.js}`} defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header>
          <div class="bar">
            <a class="brand" href="/console">
              Qoima
            </a>
            {p.csrf ? (
              <>
                <nav aria-label="Console">
                  <ul>
                    {NAV.map(([id, label, href]) => (
                      <li>
                        <a href={href} aria-current={p.section === id ? 'page' : undefined}>
                          {label}
                        </a>
                      </li>
                    ))}
                  </ul>
                </nav>
                <form method="post" action="/console/sign-out">
                  <input type="hidden" name="_csrf" value={p.csrf} />
                  <button class="secondary" type="submit">
                    Sign out
                  </button>
                </form>
              </>
            ) : null}
          </div>
        </header>
        <main id="main" tabindex={-1}>
          <h1>{p.title}</h1>
          {p.error ? (
            <div class="flash error" role="alert">
              {p.error}
            </div>
          ) : null}
          {p.notice ? (
            <div class="flash ok" role="status">
              {p.notice}
            </div>
          ) : null}
          {p.children}
        </main>
      </body>
    </html>
  </>
);

/** A hidden CSRF field for forms. */
export const Csrf: FC<{ token: string }> = ({ token }) => <input type="hidden" name="_csrf" value={token} />;

/** A value shown once, with a copy button. */
export const Secret: FC<{ label: string; value: string }> = ({ label, value }) => (
  <div class="secret-box">
    <strong>{label}:</strong> <code>{value}</code>
    <button type="button" class="secondary" data-copy={value} aria-label={`Copy ${label}`}>
      Copy
    </button>
  </div>
);

export const Meter: FC<{ label: string; used: number; limit: number; format: (n: number) => string }> = (
  p,
) => {
  const pct = p.limit > 0 ? Math.min(100, (p.used / p.limit) * 100) : 0;
  return (
    <div class="quota">
      <div class="actions small">
        <span>{p.label}</span>
        <span class="muted">{`${p.format(p.used)} of ${p.format(p.limit)} (${pct.toFixed(pct < 1 && pct > 0 ? 2 : 0)}%)`}</span>
      </div>
      <meter
        min={0}
        max={p.limit}
        low={p.limit * 0.75}
        high={p.limit * 0.9}
        optimum={0}
        value={p.used}
        aria-label={p.label}
      >{`${pct.toFixed(0)}%`}</meter>
    </div>
  );
};

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n / 1024;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[u]}`;
}

export const count = (n: number) => n.toLocaleString('en-US');

export function when(iso: string | number | null): string {
  if (iso === null) return '—';
  return new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + ' UTC';
}

/** Minor units (tiyn) as tenge. */
export function money(minor: number, currency = 'KZT'): string {
  return `${(minor / 100).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })} ${currency === 'KZT' ? '₸' : currency}`;
}
