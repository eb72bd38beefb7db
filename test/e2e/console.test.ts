import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import type { Browser, BrowserContext, Frame, Locator, Page } from 'playwright-core';
import { Resend } from 'resend';
import { launchChromium, screenshot, watchPage, type PageWatch } from '../helpers/browser';
import { npmStart, type StartedProcess } from '../helpers/npm-start';
import { permanentBounceRecord } from '../helpers/ses-event-records';
import { waitFor } from '../helpers/wait-for';

/**
 * How long a wait may take before the test fails: several of the console's 2 s refreshes, with
 * room for a machine busy running the rest of the suite.
 */
const WAIT_MS = 8_000;

/**
 * What the tests read of a page's globals inside page.evaluate, whose functions run in the browser
 * (the tests compile without the DOM library, so these few are declared here).
 */
interface InPage {
  readonly sessionStorage: Record<string, string>;
  readonly localStorage: Record<string, string>;
  readonly document: { readonly documentElement: { getAttribute(name: string): string | null; readonly scrollWidth: number; readonly clientWidth: number } };
  getComputedStyle(element: unknown): { readonly color: string };
  /** Set by the test; a reload would drop it. */
  sameDocument?: boolean;
  /** What the hostile payloads would set, were they to run. */
  readonly __pwned?: unknown;
}

/**
 * The web console in Debian's headless Chromium against `npm start` as a real process: one
 * server, one browser and one tab for the whole file, each test going on from where the last one
 * left the tab, as a person would. Every page is screenshotted to test-output/console/.
 */
describe('the web console in a real browser against npm start', () => {
  let outbox: StartedProcess;
  let resend: Resend;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let watch: PageWatch;
  let receiver: { url: string; hits: string[]; server: Server };
  let imageHost: { port: number; connections: () => number; close: () => void };
  /** Every URL the tab requested, and the Authorization header of each request to the API. */
  const requested: { url: string; authorization: string | undefined }[] = [];
  /** Tells this run's emails from any other's. */
  const run = Date.now().toString(36);

  beforeAll(async () => {
    // The browser first: without one the test fails at once, and no npm start is left running unowned.
    browser = await launchChromium();
    [outbox, receiver, imageHost] = await Promise.all([npmStart(), startReceiver(), startConnectionCounter()]);
    resend = new Resend(outbox.apiKey, { baseUrl: outbox.url });
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    context.setDefaultTimeout(WAIT_MS);
    page = await context.newPage();
    watch = watchPage(page);
    page.on('request', (request) => requested.push({ url: request.url(), authorization: request.headers().authorization }));
  }, 60_000);

  afterAll(async () => {
    receiver?.server.close();
    imageHost?.close();
    await browser?.close();
    await outbox?.stop();
  });

  /** Calls Outbox's API as a client would, with the full-access key unless told otherwise. */
  async function api(method: string, path: string, body?: unknown, key = outbox.apiKey): Promise<{ status: number; body: any }> {
    const response = await fetch(`${outbox.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text === '' ? undefined : JSON.parse(text) };
  }

  async function send(email: Parameters<Resend['emails']['send']>[0]): Promise<string> {
    const { data, error } = await resend.emails.send(email);
    if (error) throw new Error(`${error.name}: ${error.message}`);
    return data!.id;
  }

  const h1 = (name: string): Locator => page.getByRole('heading', { level: 1, name, exact: true });
  const nav = (name: string): Locator => page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name, exact: true });
  /** The part of the page under the h2 `name`. */
  const section = (name: string): Locator => page.locator('section').filter({ has: page.getByRole('heading', { level: 2, name, exact: true }) });
  const row = (text: string): Locator => page.getByRole('row').filter({ hasText: text });

  /** The sandboxed frame showing an email's HTML, once its document (the hostile email's) has loaded. */
  async function emailFrame(): Promise<Frame> {
    const frame = await (await page.getByTitle('HTML body').elementHandle())!.contentFrame();
    await frame!.locator('#js-link').waitFor({ state: 'attached' });
    return frame!;
  }

  /** Fails unless `locator` lies wholly within the viewport's width (not hidden by a sideways scroll). */
  async function expectInView(locator: Locator): Promise<void> {
    const box = await locator.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(page.viewportSize()!.width);
  }

  /** Waits until `locator` matches nothing (a row removed, a filter applied). */
  async function gone(what: string, locator: Locator): Promise<void> {
    await waitFor(what, async () => ((await locator.count()) === 0 ? true : undefined), WAIT_MS);
  }

  /** Opens a section from the navigation and waits for its h1. */
  async function open(link: string, heading = link): Promise<void> {
    await nav(link).click();
    await h1(heading).waitFor();
  }

  it('signs in with a full-access key only, keeping the key in sessionStorage and out of every URL', async () => {
    await page.goto(`${outbox.url}/console`);
    const keyInput = page.getByLabel('API key', { exact: true });
    expect(await keyInput.getAttribute('type')).toBe('password');
    await screenshot(page, '01-sign-in');

    await keyInput.fill('ob_no_such_key');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: /\S/ }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);

    const sendingOnly = await api('POST', '/api-keys', { name: `sending only ${run}`, permission: 'sending_access' });
    expect(sendingOnly.status).toBe(201);
    await keyInput.fill(sendingOnly.body.token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'full-access' }).waitFor();
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0);
    await screenshot(page, '01-sign-in-refused');

    // From the keyboard this time: Enter submits.
    await keyInput.fill(outbox.apiKey);
    await keyInput.press('Enter');
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    await page.getByRole('navigation', { name: 'Sections' }).waitFor();

    expect(await page.evaluate(() => Object.values((globalThis as unknown as InPage).sessionStorage))).toContain(outbox.apiKey);
    expect(await page.evaluate(() => Object.values((globalThis as unknown as InPage).localStorage))).not.toContain(outbox.apiKey);
    expect(await context.cookies()).toEqual([]);
    expect(page.url()).not.toContain(outbox.apiKey);
    expect(requested.filter((r) => r.url.includes(outbox.apiKey) || r.url.includes(sendingOnly.body.token))).toEqual([]);
    const apiCalls = requested.filter((r) => r.authorization !== undefined);
    expect(apiCalls.length).toBeGreaterThan(0);
    for (const call of apiCalls) expect(new URL(call.url).origin).toBe(outbox.url);
    expect(apiCalls.at(-1)!.authorization).toBe(`Bearer ${outbox.apiKey}`);

    // The key lives in the tab: a reload stays signed in.
    await page.reload();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
  });

  const delivered = `Welcome ${run}`;
  const bounced = `Bounce ${run}`;

  it('lists new emails and follows them to delivered and bounced by itself, without a reload', async () => {
    await open('Emails');
    // A reload would drop this mark: the rows below must come from the page refreshing itself.
    await page.evaluate(() => ((globalThis as unknown as InPage).sameDocument = true));
    await send({ from: 'Acme <hello@acme.test>', to: 'success@simulator.amazonses.com', subject: delivered, text: 'Hello', tags: [{ name: 'flow', value: 'welcome' }] });
    await send({ from: 'Acme <hello@acme.test>', to: 'bounce@simulator.amazonses.com', subject: bounced, text: 'Hello' });

    await row(delivered).filter({ hasText: 'delivered' }).waitFor();
    await row(bounced).filter({ hasText: 'bounced' }).waitFor();
    expect(await row(delivered).getByRole('link', { name: delivered, exact: true }).count()).toBe(1);
    expect(await row(delivered).textContent()).toContain('success@simulator.amazonses.com');
    expect(await page.evaluate(() => (globalThis as unknown as InPage).sameDocument)).toBe(true);
    await screenshot(page, '02-emails');

    await page.getByLabel('Status', { exact: true }).selectOption('bounced');
    await gone('the status filter to hide the delivered email', row(delivered));
    expect(await row(bounced).count()).toBe(1);
    await page.getByLabel('Status', { exact: true }).selectOption({ index: 0 });
    await row(delivered).waitFor();

    await page.getByLabel('Recipient', { exact: true }).fill('success@simulator.amazonses.com');
    await gone('the recipient filter to hide the bounced email', row(bounced));
    expect(await row(delivered).count()).toBe(1);
    await page.getByLabel('Recipient', { exact: true }).fill('');

    await page.getByLabel('Tag', { exact: true }).fill('welcome');
    await gone('the tag filter to hide the untagged email', row(bounced));
    expect(await row(delivered).count()).toBe(1);
    await page.getByLabel('Tag', { exact: true }).fill('');
    await row(bounced).waitFor();
  });

  it('opens one email while it is still scheduled and shows its timeline reach delivered by itself', async () => {
    const subject = `Receipt ${run}`;
    const id = await send({
      from: 'Billing <billing@acme.test>',
      to: 'success@simulator.amazonses.com',
      subject,
      // Its own design: a style element and a style attribute, which the frame applies.
      html: '<style>p { color: rgb(0, 102, 51) }</style><h1 style="color: rgb(178, 34, 34)">Your receipt</h1><p>Thank you.</p>',
      text: 'Your receipt. Thank you.',
      headers: { 'X-Entity-Ref-ID': `ref-${run}` },
      attachments: [{ filename: 'receipt.txt', content: Buffer.from('total: 42\n') }],
      scheduledAt: 'in 2 seconds',
    });
    await row(subject).getByRole('link', { name: subject, exact: true }).click();
    await h1(subject).waitFor();
    expect(new URL(page.url()).hash).toBe(`#/emails/${id}`);
    for (const name of ['Recipients', 'Timeline', 'Headers', 'Attachments', 'HTML', 'Text']) await section(name).waitFor();
    expect(await section('Recipients').textContent()).toMatch(/scheduled|queued|sent/);

    await section('Timeline').filter({ hasText: 'delivered' }).waitFor({ timeout: 2 * WAIT_MS });
    await section('Recipients').filter({ hasText: 'delivered' }).waitFor();
    expect(await section('Timeline').textContent()).toContain('250 2.6.0 Message received');
    expect(await section('Headers').textContent()).toContain(`ref-${run}`);
    const attachments = (await section('Attachments').textContent())!;
    expect(attachments).toContain('receipt.txt');
    expect(attachments).toMatch(/10\s*B/);
    expect(await section('Text').textContent()).toContain('Your receipt. Thank you.');

    const frame = page.getByTitle('HTML body');
    expect(await frame.evaluate((element) => element.tagName)).toBe('IFRAME');
    expect(await frame.getAttribute('sandbox')).toBe('');
    const body = page.frameLocator('iframe[title="HTML body"]');
    const heading = body.getByRole('heading', { name: 'Your receipt' });
    expect(await heading.textContent()).toBe('Your receipt');
    expect(await heading.evaluate((element) => (globalThis as unknown as InPage).getComputedStyle(element).color)).toBe('rgb(178, 34, 34)');
    expect(await body.getByText('Thank you.').evaluate((element) => (globalThis as unknown as InPage).getComputedStyle(element).color)).toBe('rgb(0, 102, 51)');
    await screenshot(page, '03-email');
  });

  it('shows a failed email with the reason SES gave', async () => {
    const template = `receipt-${run}`;
    const created = await fetch(`${outbox.url}/_local/templates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: template, subject: 'Hi {{name}}', text: 'Your code is {{code}}' }),
    });
    expect(created.status).toBeLessThan(300);
    // A variable the template uses is missing: SES accepts the email, then reports a Rendering Failure.
    const id = await send({ from: 'Acme <hello@acme.test>', to: 'success@simulator.amazonses.com', template: { id: template, variables: { name: 'Ada' } } });
    await page.goto(`${outbox.url}/console#/emails/${id}`);
    await section('Failure').filter({ hasText: 'code' }).waitFor({ timeout: 2 * WAIT_MS });
    await h1('(no subject)').waitFor();
    await screenshot(page, '03-email-failed');
  });

  it('shows a hostile subject, display name, headers, attachment name and HTML body as text, running none of their payloads', async () => {
    // Each payload, were it to run, would set window.__pwned (or mark the frame's document) or open a dialog.
    const subject = `<script>window.__pwned='subject'</script><img src=x onerror="window.__pwned='subject-img';alert(1)"> javascript:alert(1) ${run}`;
    const displayName = `<img src=x onerror=window.__pwned='name'><script>alert(2)</script>`;
    // A remote image over https, aimed at a loopback port that counts connections (this test reaches no other host):
    // what matters is whether the browser tries to fetch it, which a refused load never does.
    const remoteImage = `https://127.0.0.1:${imageHost.port}/pixel-${run}.png`;
    const html = [
      `<script>document.documentElement.setAttribute('data-pwned','script');alert(3)</script>`,
      `<img src=x onerror="document.documentElement.setAttribute('data-pwned','img');alert(4)">`,
      `<a id="js-link" href="javascript:document.documentElement.setAttribute('data-pwned','link')">click me</a>`,
      `<svg><script>document.documentElement.setAttribute('data-pwned','svg')</script></svg>`,
      `<img src="${remoteImage}" alt="remote">`,
      `<form action="javascript:alert(5)"><button id="submit">Go</button></form>`,
    ].join('');
    const id = await send({
      from: `"${displayName}" <evil@acme.test>`,
      to: 'success@simulator.amazonses.com',
      subject,
      html,
      text: `<script>alert(6)</script>`,
      headers: { 'X-Evil': `<img src=x onerror=alert(7)>` },
      attachments: [{ filename: `<img src=x onerror=alert(8)>.txt`, content: Buffer.from('x') }],
    });

    await open('Emails');
    const link = page.getByRole('link', { name: subject, exact: true });
    await link.waitFor();
    await screenshot(page, '04-hostile-list');
    await link.click();
    await h1(subject).waitFor();
    await section('Timeline').filter({ hasText: 'delivered' }).waitFor();
    const main = (await page.locator('body').textContent())!;
    expect(main).toContain(displayName);
    expect(await section('Headers').textContent()).toContain(`<img src=x onerror=alert(7)>`);
    expect(await section('Attachments').textContent()).toContain(`<img src=x onerror=alert(8)>.txt`);
    expect(await section('Text').textContent()).toContain(`<script>alert(6)</script>`);
    // Outside the sandboxed frame the page holds no element the payloads carry.
    expect(await page.locator('body img, body script:not([src])').count()).toBe(0);

    const frame = page.frameLocator('iframe[title="HTML body"]');
    await frame.locator('#js-link').click();
    await frame.locator('#submit').click();
    expect(await (await emailFrame()).evaluate(() => (globalThis as unknown as InPage).document.documentElement.getAttribute('data-pwned'))).toBeNull();
    expect(imageHost.connections()).toBe(0);
    await screenshot(page, '05-hostile-email');

    // Remote images load only when asked for.
    await page.getByRole('button', { name: 'Load remote images' }).click();
    await waitFor('the remote image to be fetched once asked for', () => (imageHost.connections() > 0 ? true : undefined), WAIT_MS);
    expect(await (await emailFrame()).evaluate(() => (globalThis as unknown as InPage).document.documentElement.getAttribute('data-pwned'))).toBeNull();

    expect(await page.evaluate(() => (globalThis as unknown as InPage).__pwned)).toBeUndefined();
    expect(watch.dialogs).toEqual([]);
    expect(new URL(page.url()).hash).toBe(`#/emails/${id}`);
  });

  it('adds suppressions, removes one and a batch, filters by origin, and names what caused each', async () => {
    // A Permanent bounce of an ordinary address (the mailbox simulator's are never suppressed), replayed as SES would send it.
    const hardBounced = `hard-bounce-${run}@example.com`;
    const bouncedId = await send({ from: 'Acme <hello@acme.test>', to: hardBounced, subject: `To be bounced ${run}`, text: 'x' });
    const sesMessageId = await waitFor('the SES message id', async () => (await api('GET', `/emails/${bouncedId}`)).body.ses_message_id ?? undefined);
    const replayed = await fetch(`${outbox.url}/_local/ses-events`, {
      method: 'POST',
      body: JSON.stringify(permanentBounceRecord({ sesMessageId, emailId: bouncedId, recipient: hardBounced, source: 'hello@acme.test', feedbackId: `console-${run}` })),
    });
    expect(replayed.status).toBe(200);

    await open('Suppressions');
    const manual = ['alpha', 'beta', 'gamma'].map((name) => `${name}-${run}@example.com`);
    for (const address of manual) {
      await page.getByLabel('Email address', { exact: true }).fill(address);
      await page.getByRole('button', { name: 'Add suppression' }).click();
      await page.getByRole('checkbox', { name: `Select ${address}`, exact: true }).waitFor();
    }
    const bounceRow = row(hardBounced);
    await bounceRow.waitFor();
    expect(await bounceRow.textContent()).toMatch(/bounce/i);
    expect(await bounceRow.getByRole('link').getAttribute('href')).toBe(`#/emails/${bouncedId}`);
    expect(await row(manual[0]!).textContent()).toMatch(/manual/i);
    await screenshot(page, '06-suppressions');

    await page.getByLabel('Origin', { exact: true }).selectOption('bounce');
    await gone('the origin filter to hide the manual entries', row(manual[0]!));
    expect(await bounceRow.count()).toBe(1);
    await page.getByLabel('Origin', { exact: true }).selectOption({ index: 0 });
    await row(manual[0]!).waitFor();

    await row(manual[0]!).getByRole('button', { name: 'Remove' }).click();
    await gone(`${manual[0]} to leave the list`, row(manual[0]!));
    expect((await api('GET', `/suppressions/${encodeURIComponent(manual[0]!)}`)).status).toBe(404);

    await page.getByRole('checkbox', { name: `Select ${manual[1]}`, exact: true }).check();
    await page.getByRole('checkbox', { name: `Select ${manual[2]}`, exact: true }).check();
    await page.getByRole('button', { name: 'Remove selected' }).click();
    await gone('the selected entries to leave the list', row(manual[1]!).or(row(manual[2]!)));
    for (const address of manual.slice(1)) expect((await api('GET', `/suppressions/${encodeURIComponent(address)}`)).status).toBe(404);
    expect((await api('GET', `/suppressions/${encodeURIComponent(hardBounced)}`)).status).toBe(200);
  });

  it('creates a webhook, shows its secret once, shows its delivery log, and disables, enables and rotates it', async () => {
    await open('Webhooks');
    await page.getByLabel('Endpoint URL', { exact: true }).fill(receiver.url);
    await page.getByRole('checkbox', { name: 'email.delivered', exact: true }).check();
    await page.getByRole('button', { name: 'Create webhook' }).click();
    const shown = page.getByRole('region', { name: 'Signing secret' });
    const secret = (await shown.locator('code').textContent())!;
    expect(secret).toMatch(/^whsec_/);
    const listed = (await api('GET', '/webhooks')).body.data.find((w: { endpoint: string }) => w.endpoint === receiver.url);
    expect(listed).toBeDefined();
    expect((await api('GET', `/webhooks/${listed.id}`)).body.signing_secret).toBe(secret);
    await screenshot(page, '07-webhooks');

    await send({ from: 'Acme <hello@acme.test>', to: 'success@simulator.amazonses.com', subject: `Hooked ${run}`, text: 'x' });
    await waitFor('the webhook delivery', () => (receiver.hits.length > 0 ? true : undefined), WAIT_MS);

    await page.getByRole('link', { name: receiver.url, exact: true }).click();
    await h1(receiver.url).waitFor();
    expect(await page.getByRole('region', { name: 'Signing secret' }).count()).toBe(0);
    await page.getByText('email.delivered').first().waitFor();
    await page.getByText('HTTP 200').first().waitFor();
    await screenshot(page, '08-webhook');

    await page.getByRole('button', { name: 'Disable' }).click();
    await page.getByRole('button', { name: 'Enable' }).waitFor();
    expect((await api('GET', `/webhooks/${listed.id}`)).body.status).toBe('disabled');
    await page.getByRole('button', { name: 'Enable' }).click();
    await page.getByRole('button', { name: 'Disable' }).waitFor();
    expect((await api('GET', `/webhooks/${listed.id}`)).body.status).toBe('enabled');

    await page.getByRole('button', { name: 'Rotate secret' }).click();
    const rotated = (await page.getByRole('region', { name: 'Signing secret' }).locator('code').filter({ hasNotText: secret }).textContent())!;
    expect(rotated).toMatch(/^whsec_/);
    expect(rotated).not.toBe(secret);
    expect((await api('GET', `/webhooks/${listed.id}`)).body.signing_secret).toBe(rotated);
  });

  it('creates an API key, shows its token once, and revokes it after a confirmation', async () => {
    await open('API keys');
    const name = `deploy bot ${run}`;
    await page.getByLabel('Name', { exact: true }).fill(name);
    await page.getByLabel('Permission', { exact: true }).selectOption('sending_access');
    await page.getByRole('button', { name: 'Create key' }).click();
    const token = (await page.getByRole('region', { name: 'New API key' }).locator('code').textContent())!;
    expect(token).toMatch(/^ob_/);
    // A sending-only key reads nothing: refused as restricted (401), not as unknown (403).
    expect((await api('GET', '/api-keys', undefined, token)).status).toBe(401);
    await row(name).waitFor();
    await page.getByRole('columnheader', { name: 'Last used' }).waitFor();
    await screenshot(page, '09-api-keys');

    await row(name).getByRole('button', { name: 'Revoke' }).click();
    expect((await api('GET', '/api-keys', undefined, token)).status).toBe(401);
    await row(name).getByRole('button', { name: 'Confirm revoke' }).click();
    await gone('the revoked key to leave the list', row(name));
    await waitFor('the revoked token to be refused', async () => ((await api('GET', '/api-keys', undefined, token)).status === 403 ? true : undefined), WAIT_MS);
  });

  it('charts deliverability against SES thresholds, switches the window, and resumes a paused sending', async () => {
    await open('Deliverability');
    const charts = page.locator('svg[role="img"]');
    await charts.first().waitFor();
    const labels = await charts.evaluateAll((svgs) => svgs.map((svg) => svg.getAttribute('aria-label') ?? ''));
    expect(labels.some((label) => /volume/i.test(label))).toBe(true);
    expect(labels.some((label) => /bounce/i.test(label))).toBe(true);
    expect(labels.some((label) => /complaint/i.test(label))).toBe(true);
    expect(await page.locator('main').textContent()).toMatch(/healthy/i);
    await screenshot(page, '10-deliverability');

    await page.getByLabel('Window', { exact: true }).selectOption('7d');
    await waitFor('the 7-day report', () => (requested.some((r) => r.url.endsWith('/deliverability?window=7d')) ? true : undefined), WAIT_MS);
    await charts.first().waitFor();

    const reason = `Checking a spike ${run}`;
    expect((await api('POST', '/sending/pause', { reason })).status).toBe(200);
    await page.reload();
    await page.getByText(reason).waitFor();
    await screenshot(page, '10-deliverability-paused');
    await page.getByRole('button', { name: 'Resume sending' }).click();
    await waitFor('sending to resume', async () => ((await api('GET', '/sending')).body.enabled === true ? true : undefined), WAIT_MS);
    await gone('the resume button to go', page.getByRole('button', { name: 'Resume sending' }));
  });

  it('shows what the SES stand-in accepted and the dead letters', async () => {
    await open('SES stand-in');
    await page.getByRole('table').filter({ hasText: delivered }).waitFor();
    // At a laptop's width the table fits without scrolling sideways; the SES id is shortened, whole in its title.
    const region = page.getByRole('region', { name: 'Accepted messages' });
    expect(await region.evaluate((element) => element.scrollWidth - element.clientWidth)).toBeLessThanOrEqual(0);
    expect(await row(delivered).locator('code[title]').getAttribute('title')).toMatch(/^01[0-9a-f]{14}-[0-9a-f-]{36}-000000$/);
    await screenshot(page, '11-ses-standin');
    await open('Dead letters');
    await page.getByRole('table').or(page.getByText('None', { exact: true })).first().waitFor();
    await screenshot(page, '12-dead-letters');
  });

  it('fits a phone screen', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await open('Emails');
    await row(delivered).waitFor();
    await screenshot(page, '13-phone-emails');
    const overflow = await page.evaluate(() => {
      const root = (globalThis as unknown as InPage).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    // What the list is for, each recipient's status, is in sight without scrolling sideways.
    await expectInView(row(delivered).getByText('success@simulator.amazonses.com'));
    await expectInView(row(delivered).locator('.recipients').getByText('delivered', { exact: true }));
    await row(delivered).getByRole('link', { name: delivered, exact: true }).click();
    await h1(delivered).waitFor();
    await expectInView(section('Recipients').getByText('delivered', { exact: true }));
    await screenshot(page, '14-phone-email');
    await page.setViewportSize({ width: 1280, height: 800 });
  });

  it('pages back to older emails and forward again', async () => {
    await open('Emails');
    // A page holds 20: these push the earliest emails of this run onto the next one.
    const fillers = Array.from({ length: 20 }, (_, i) => ({ from: 'Acme <hello@acme.test>', to: ['success@simulator.amazonses.com'], subject: `Filler ${i} ${run}`, text: 'x' }));
    expect((await api('POST', '/emails/batch', fillers)).status).toBe(200);
    await row(`Filler 19 ${run}`).waitFor();
    await gone('the first email of the run to leave the first page', row(delivered));

    await page.getByRole('button', { name: 'Older', exact: true }).click();
    await row(delivered).waitFor();
    expect(await row(`Filler 19 ${run}`).count()).toBe(0);
    await page.getByRole('button', { name: 'Newer', exact: true }).click();
    await row(`Filler 19 ${run}`).waitFor();
  });

  it('serves the console under a strict Content-Security-Policy that its own pages never break', async () => {
    const response = await fetch(`${outbox.url}/console`);
    expect(response.status).toBe(200);
    const policy = response.headers.get('content-security-policy') ?? '';
    for (const directive of ["default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "frame-ancestors 'none'", "base-uri 'none'"]) expect(policy).toContain(directive);
    // Inline styles are let in for the emails' frames, which inherit the policy; scripts never are.
    const scriptSrc = policy.split(';').map((directive) => directive.trim()).find((directive) => directive.startsWith('script-src'));
    expect(scriptSrc).toBe("script-src 'self'");
    expect(policy).not.toMatch(/unsafe-eval/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');

    // The emails' own frames may be refused things (that is the point); the console's pages never are.
    const violations = watch.consoleErrors.filter((e) => /Content Security Policy/i.test(e.text) && e.url !== 'about:srcdoc');
    expect(violations).toEqual([]);
    expect(watch.pageErrors).toEqual([]);
  });

  it('signs out, forgetting the key', async () => {
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API key', { exact: true }).waitFor();
    expect(await page.evaluate(() => Object.values((globalThis as unknown as InPage).sessionStorage))).not.toContain(outbox.apiKey);
  });
});

/** A webhook receiver on loopback that answers 200 and records each request's path. */
async function startReceiver(): Promise<{ url: string; hits: string[]; server: Server }> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      hits.push(request.url ?? '');
      response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, hits, server };
}

/** A TCP port that counts the connections made to it and closes each at once: whether a browser tried to fetch from it. */
async function startConnectionCounter(): Promise<{ port: number; connections: () => number; close: () => void }> {
  let connections = 0;
  const server = createTcpServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { port: (server.address() as AddressInfo).port, connections: () => connections, close: () => server.close() };
}
