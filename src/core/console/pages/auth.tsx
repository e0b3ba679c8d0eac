/** Signing in (console login or root keys), creating a service (root keys shown once), signing out. */
import type { Context } from 'hono';
import { timingSafeEqual } from '../../digests.ts';
import { S3Error, isS3Error } from '../../errors.ts';
import { type NewAccount, createAccount, deleteAccount } from '../../model/accounts.ts';
import {
  MAX_EMAIL,
  MIN_PASSWORD,
  checkLogin,
  endSession,
  normalizeEmail,
  checkPassword,
  loginTaken,
  setLogin,
  startSession,
} from '../../model/console-auth.ts';
import { type ConsoleApp, type ConsoleDeps, done, formOf, messageOf, noticeOf, statusOf } from '../kit.ts';
import { Layout, Secret } from '../layout.tsx';
import {
  checkSameOrigin,
  clearSessionCookie,
  origin,
  passOnce,
  sessionFrom,
  setSessionCookie,
  takeOnce,
} from '../session.ts';
import { clientKey } from '../../model/fair-use.ts';
import { trialPolicy } from '../../model/terms-settings.ts';

const WINDOW_MS = 15 * 60_000;
const MAX_TRACKED = 10_000;

/**
 * Failures per name in fifteen minutes, then a pause: failed sign-ins per e-mail or key id (ten), and
 * failed sign-ins and sign-ups per client address (QOIMA_CONSOLE_FAILURES_PER_ADDRESS), so a guesser
 * spreading over many logins, or probing which e-mails have one, is held too. Past MAX_TRACKED names,
 * those whose failures have all aged out go first, then the longest quiet: flooding it with junk names
 * cannot wipe the count of a name under attack.
 */
class Attempts {
  private readonly failures = new Map<string, number[]>();
  constructor(
    private readonly max: number,
    private readonly tooMany: string,
  ) {}
  check(id: string): void {
    const recent = (this.failures.get(id) ?? []).filter((t) => t > Date.now() - WINDOW_MS);
    if (recent.length >= this.max) {
      throw new S3Error('SlowDown', `${this.tooMany}; wait a few minutes and try again.`);
    }
  }
  fail(id: string): void {
    const now = Date.now();
    const recent = (this.failures.get(id) ?? []).filter((t) => t > now - WINDOW_MS);
    this.failures.delete(id); // re-inserted last: the map stays ordered from the longest quiet
    this.failures.set(id, [...recent, now]);
    if (this.failures.size <= MAX_TRACKED) return;
    for (const [name, times] of this.failures) {
      if (times[times.length - 1]! <= now - WINDOW_MS) this.failures.delete(name);
    }
    for (const name of this.failures.keys()) {
      if (this.failures.size <= MAX_TRACKED) break;
      this.failures.delete(name);
    }
  }
}

const safeNext = (next: string | undefined) =>
  next && /^\/console(\/[\w\-./%]*)?$/.test(next) ? next : '/console';

export function authPages(app: ConsoleApp, deps: ConsoleDeps): void {
  const attempts = new Attempts(10, 'Too many failed sign-ins');
  const fromAddress = new Attempts(deps.failuresPerAddress, 'Too many failed attempts from your address');

  /**
   * What the sign-in and sign-up pages say of the trial: free days only where a sign-up gets them at
   * once (the `auto` policy); under `manual` the trial is asked for and decided, so nothing is promised.
   */
  const trialOffer = async (): Promise<{ short: string; long: string }> => {
    if (deps.trialDays <= 0) return { short: '.', long: '' };
    const { policy, freeUpTo } = await trialPolicy(deps.db);
    const days = `${deps.trialDays} days`;
    const volume = freeUpTo === null ? '' : ` up to ${freeUpTo} tiyn of use`;
    const after = 'it is billed monthly for what it stores and serves, until you delete it.';
    if (policy === 'manual')
      return {
        short: ` — you may ask for a free trial of ${days}.`,
        long: `Signing up asks for a free trial of ${days}${volume} (once per customer), which we grant or refuse; until it is granted, and after it ends, ${after}`,
      };
    return {
      short: ` — the first ${days} are free.`,
      long: `The first ${days} are free${volume} (once per customer); after that ${after}`,
    };
  };

  const signInPage = async (
    c: Context,
    shown: {
      error?: string | null;
      notice?: string | null;
      status?: number;
      values?: Record<string, string>;
    } = {},
  ) => {
    const offer = await trialOffer();
    return c.html(
      <Layout title="Sign in" section={null} error={shown.error} notice={shown.notice}>
        <div class="grid">
          <form class="card" method="post" action="/console/sign-in">
            <h2>With your console login</h2>
            <input type="hidden" name="next" value={safeNext(c.req.query('next') ?? shown.values?.next)} />
            <label for="email">E-mail</label>
            <input
              id="email"
              name="email"
              type="email"
              autocomplete="username"
              required
              value={shown.values?.email ?? ''}
            />
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="current-password" required />
            <p>
              <button type="submit">Sign in</button>
            </p>
          </form>
          <form class="card" method="post" action="/console/sign-in">
            <h2>With the root user's keys</h2>
            <input type="hidden" name="next" value={safeNext(c.req.query('next') ?? shown.values?.next)} />
            <label for="accessKeyId">Access key id</label>
            <input
              id="accessKeyId"
              name="accessKeyId"
              type="text"
              autocomplete="username"
              spellcheck={false}
              required
              value={shown.values?.accessKeyId ?? ''}
            />
            <label for="secretAccessKey">Secret access key</label>
            <input
              id="secretAccessKey"
              name="secretAccessKey"
              type="password"
              autocomplete="current-password"
              required
            />
            <p>
              <button type="submit">Sign in</button>
            </p>
          </form>
        </div>
        {deps.signup ? (
          <p>
            New here? <a href="/console/sign-up">Create your service</a>
            {offer.short}
          </p>
        ) : null}
      </Layout>,
      statusOf(shown.status),
    );
  };

  app.get('/sign-in', async (c) => {
    if (await sessionFrom(c, deps.db, deps.box)) return c.redirect('/console', 303);
    return signInPage(c, { notice: noticeOf(c) });
  });

  app.post('/sign-in', async (c) => {
    const form = await formOf(c);
    // bounded: the failure counts are kept per name, and a form may carry a megabyte of one
    const who = (form.email || form.accessKeyId || '')
      .trim()
      .toLowerCase()
      .slice(0, MAX_EMAIL + 1);
    const address = clientKey(c.env?.clientAddress);
    try {
      checkSameOrigin(c);
      fromAddress.check(address);
      attempts.check(who);
      let accountId: string | null = null;
      if (form.email !== undefined) accountId = await checkLogin(deps.db, form.email, form.password ?? '');
      else {
        const cred = await deps.lookupCredential((form.accessKeyId ?? '').trim());
        if (cred?.kind === 'root' && timingSafeEqual(cred.secret, form.secretAccessKey ?? ''))
          accountId = cred.accountId;
      }
      if (!accountId) {
        attempts.fail(who);
        fromAddress.fail(address);
        throw new S3Error(
          'AccessDenied',
          form.email !== undefined
            ? 'That e-mail and password do not match.'
            : "Those keys are not a root user's, or the secret does not match. (Access keys with scopes work with the API, not the console.)",
        );
      }
      await setSessionCookie(c, deps.box, await startSession(deps.db, accountId));
      return c.redirect(safeNext(form.next), 303);
    } catch (e) {
      const { message, status } = messageOf(e);
      return signInPage(c, {
        error: message,
        status,
        values: { email: form.email ?? '', accessKeyId: form.accessKeyId ?? '', next: form.next ?? '' },
      });
    }
  });

  const signUpPage = async (
    c: Context,
    shown: { error?: string; status?: number; values?: Record<string, string> } = {},
  ) => {
    const offer = await trialOffer();
    return c.html(
      <Layout title="Create your service" section={null} error={shown.error}>
        <form class="card" method="post" action="/console/sign-up">
          <p>Your service is your own storage: buckets, keys and a bill of its own. {offer.long}</p>
          <label for="name">Name of the service</label>
          <input
            id="name"
            name="name"
            type="text"
            required
            maxlength={100}
            value={shown.values?.name ?? ''}
            placeholder="Acme website assets"
          />
          <label for="email">Your e-mail (your console login)</label>
          <input
            id="email"
            name="email"
            type="email"
            autocomplete="username"
            required
            value={shown.values?.email ?? ''}
          />
          <label for="password">Password</label>
          <input
            id="password"
            name="password"
            type="password"
            autocomplete="new-password"
            required
            minlength={MIN_PASSWORD}
            aria-describedby="password-hint"
          />
          <p class="hint" id="password-hint">{`At least ${MIN_PASSWORD} characters.`}</p>
          <p>
            <button type="submit">Create the service</button>
          </p>
        </form>
        <p>
          Already have one? <a href="/console/sign-in">Sign in</a>.
        </p>
      </Layout>,
      statusOf(shown.status),
    );
  };

  app.get('/sign-up', async (c) => (deps.signup ? signUpPage(c) : c.redirect('/console/sign-in', 303)));

  app.post('/sign-up', async (c) => {
    if (!deps.signup)
      throw new S3Error(
        'AccessDenied',
        'New services are created by the operator here; ask them for an account.',
      );
    const form = await formOf(c);
    const address = clientKey(c.env?.clientAddress);
    try {
      checkSameOrigin(c);
      fromAddress.check(address);
      const name = (form.name ?? '').trim();
      if (!name || name.length > 100)
        throw new S3Error('InvalidArgument', 'Give the service a name (up to 100 characters).');
      const email = normalizeEmail(form.email ?? '');
      checkPassword(form.password ?? '');
      if (await loginTaken(deps.db, email)) throw new S3Error('LoginAlreadyExists');
      const created = await createAccount(deps, {
        name,
        quota: deps.accountLimits.defaults,
        customerId: email,
        trialDays: deps.trialDays,
      });
      try {
        await setLogin(deps.db, created.accountId, email, form.password ?? '');
      } catch (e) {
        // the same address signed up a moment ago: this service was never anyone's
        await deleteAccount(deps.db, created.accountId);
        throw e;
      }
      const session = await startSession(deps.db, created.accountId);
      await setSessionCookie(c, deps.box, session);
      await passOnce(c, deps.box, session, 'service', created);
      return c.redirect('/console/welcome', 303);
    } catch (e) {
      if (isS3Error(e) && e.code !== 'SlowDown') fromAddress.fail(address);
      const { message, status } = messageOf(e);
      return signUpPage(c, {
        error: message,
        status,
        values: { name: form.name ?? '', email: form.email ?? '' },
      });
    }
  });

  app.get('/welcome', async (c) => {
    const session = await sessionFrom(c, deps.db, deps.box);
    const created = session && (await takeOnce<NewAccount>(c, deps.box, session, 'service'));
    if (!created) return c.redirect('/console', 303);
    return c.html(
      <Layout title="Your service is ready" section={null}>
        <div class="flash secret" role="alert">
          <p>
            <strong>These are the root user's keys. They are shown only now</strong> — copy them to a safe
            place. They give full access to everything in this service (aws-cli, SDKs, rclone).
          </p>
          <Secret label="Endpoint" value={origin(c)} />
          <Secret label="Access key id" value={created.accessKeyId} />
          <Secret label="Secret access key" value={created.secretAccessKey} />
        </div>
        <p>
          Service id <code>{created.accountId}</code>. You sign in to the console with your e-mail and
          password.
        </p>
        <p>
          <a class="button" href="/console">
            Continue to the console
          </a>
        </p>
      </Layout>,
    );
  });

  app.post('/sign-out', async (c) => {
    checkSameOrigin(c); // another site cannot sign people out
    const s = await sessionFrom(c, deps.db, deps.box);
    if (s) await endSession(deps.db, s.id);
    clearSessionCookie(c);
    return done(c, '/console/sign-in', 'signed-out');
  });
}
