import { segment } from '../api';
import type { EmailView, TimelineEvent } from '../api-types';
import { append, button, h, replaceChildren, routeLink, scrollingTable, type Child } from '../dom';
import { badge, bytes, subjectText, time } from '../format';
import { alertRegion, clearError, every, REFRESH_MS, showError, type MountedPage, type PageContext } from '../page';
import { emailDocument } from '../srcdoc';

/**
 * One email: what was sent, to whom, what SES said of it (the timeline), why it failed, its
 * headers, attachments and bodies. Refreshes every 2 s; only the parts that changed are redrawn,
 * so the HTML frame is not reloaded and the scroll position stays.
 */
export function mountEmail(ctx: PageContext, page: HTMLElement, id: string): MountedPage {
  const alert = alertRegion();
  const title = h('h1', { tabindex: -1 }, 'Email');
  const back = h('p', { class: 'crumbs' }, routeLink('#/emails', '← Emails'));
  const parts = {
    summary: h('div'),
    failure: h('div'),
    recipients: h('div'),
    timeline: h('div'),
    headers: h('div'),
    attachments: h('div'),
    html: h('div'),
    text: h('div'),
  };
  append(page, back, title, alert, ...Object.values(parts));
  const drawn = new Map<string, string>();
  let remoteImages = false;
  let latest: EmailView | undefined;
  let lastRead = 0;

  /** Redraws one part when what it shows changed. */
  function draw(part: keyof typeof parts, data: unknown, render: () => Child): void {
    const signature = JSON.stringify(data);
    if (drawn.get(part) === signature) return;
    drawn.set(part, signature);
    replaceChildren(parts[part], render());
  }

  function drawHtml(email: EmailView): void {
    draw('html', [email.html, remoteImages], () => htmlSection(email.html, remoteImages, () => {
      remoteImages = true;
      if (latest) drawHtml(latest);
      parts.html.querySelector('iframe')?.focus();
    }));
  }

  async function load(): Promise<void> {
    try {
      const email = await ctx.api.get<EmailView>(`/emails/${segment(id)}`);
      latest = email;
      lastRead = Date.now();
      clearError(alert);
      const subject = subjectText(email.subject);
      if (title.textContent !== subject) title.textContent = subject;
      document.title = `${subject} · Outbox`;
      draw('summary', [email.from, email.to, email.cc, email.bcc, email.reply_to, email.created_at, email.scheduled_at, email.last_event, email.ses_message_id, email.tags, email.template], () => summary(email));
      const failureEvents = email.events.filter((event) => event.type === 'Reject' || event.type === 'RenderingFailure');
      draw('failure', [email.failure, failureEvents], () => (email.failure || failureEvents.length > 0 ? failureSection(email, failureEvents) : null));
      draw('recipients', email.recipients, () => recipientsSection(email));
      draw('timeline', email.events, () => timelineSection(email.events));
      draw('headers', email.headers, () => headersSection(email.headers));
      draw('attachments', email.attachments, () => attachmentsSection(email));
      drawHtml(email);
      draw('text', email.text, () => section('Text', email.text ? h('pre', { class: 'body-text', tabindex: 0 }, email.text) : h('p', { class: 'empty' }, 'No text body.')));
    } catch (error) {
      showError(ctx, alert, error);
    }
  }

  void load();
  // Every 2 s while mail is moving; a settled email (older than ten minutes, every recipient past
  // sent or delayed) only every 30 s, as then only a late complaint or auto-reply can change it.
  const stop = every(REFRESH_MS, async () => {
    if (latest && !isMoving(latest) && Date.now() - lastRead < 30_000) return;
    await load();
  });
  return { dispose: stop };
}

const MOVING_STATUSES = new Set(['scheduled', 'queued', 'sent', 'delayed']);

function isMoving(email: EmailView): boolean {
  return Date.now() - Date.parse(email.created_at) < 10 * 60_000 || email.recipients.some((recipient) => MOVING_STATUSES.has(recipient.status));
}

function section(title: string, ...children: Child[]): HTMLElement {
  return h('section', { class: 'card' }, h('h2', null, title), ...children);
}

function definitionList(entries: readonly [string, Child][]): HTMLDListElement {
  return h('dl', { class: 'facts' }, entries.map(([term, value]) => [h('dt', null, term), h('dd', null, value)]));
}

function list(values: readonly string[] | null): Child {
  return values && values.length > 0 ? values.join(', ') : '—';
}

function summary(email: EmailView): HTMLElement {
  return h(
    'section',
    { class: 'card', 'aria-label': 'Summary' },
    definitionList([
      ['Status', badge(email.last_event)],
      ['From', email.from],
      ['To', list(email.to)],
      ['Cc', list(email.cc)],
      ['Bcc', list(email.bcc)],
      ['Reply-To', list(email.reply_to)],
      ['Created', time(email.created_at)],
      ...(email.scheduled_at ? ([['Scheduled for', time(email.scheduled_at)]] as [string, Child][]) : []),
      ['Email id', h('code', null, email.id)],
      ['SES message ID', email.ses_message_id ? h('code', null, email.ses_message_id) : '—'],
      ['Tags', email.tags.length > 0 ? h('ul', { class: 'tags' }, email.tags.map((tag) => h('li', null, h('code', null, `${tag.name}=${tag.value}`)))) : '—'],
      ...(email.template ? ([['Template', h('code', null, email.template.id)]] as [string, Child][]) : []),
    ]),
  );
}

function failureSection(email: EmailView, events: readonly TimelineEvent[]): HTMLElement {
  return h(
    'section',
    { class: 'card failure' },
    h('h2', null, 'Failure'),
    email.failure ? definitionList([['Error', h('code', null, email.failure.name)], ['Reason', email.failure.message], ['When', time(email.failure.failed_at)]]) : null,
    events.map((event) => definitionList([['SES event', event.type], ['When', time(event.occurred_at)], ['What SES said', describeDetail(event.detail)]])),
  );
}

function recipientsSection(email: EmailView): HTMLElement {
  const body = h(
    'tbody',
    null,
    email.recipients.map((recipient) =>
      h('tr', null, h('td', { class: 'wide' }, recipient.email), h('td', null, recipient.type), h('td', null, badge(recipient.status)), h('td', { class: 'when' }, time(recipient.updated_at))),
    ),
  );
  return section('Recipients', scrollingTable('Recipients', ['Address', 'Kind', 'Status', 'Updated'], body, { cards: true }));
}

function timelineSection(events: readonly TimelineEvent[]): HTMLElement {
  if (events.length === 0) return section('Timeline', h('p', { class: 'empty' }, 'No SES events yet.'));
  return section(
    'Timeline',
    h(
      'ol',
      { class: 'timeline' },
      events.map((event) =>
        h(
          'li',
          null,
          h('div', { class: 'timeline-head' }, h('strong', null, event.type), ' ', h('span', { class: 'muted' }, event.name), ' ', time(event.occurred_at)),
          event.recipients.length > 0 ? h('div', { class: 'muted' }, event.recipients.join(', ')) : null,
          h('p', { class: 'detail-line' }, describeDetail(event.detail)),
          h('details', null, h('summary', null, 'SES detail'), h('pre', { class: 'json', tabindex: 0 }, JSON.stringify(event.detail, null, 2))),
        ),
      ),
    ),
  );
}

/** The few fields of an SES event detail a person wants first (bounce type, diagnostic code, ...). */
function describeDetail(detail: Record<string, unknown>): string {
  const wanted = ['bounceType', 'bounceSubType', 'diagnosticCode', 'complaintFeedbackType', 'complaintSubType', 'reason', 'errorMessage', 'templateName', 'delayType', 'smtpResponse', 'reportingMTA', 'link', 'userAgent'];
  const parts: string[] = [];
  for (const name of wanted) {
    const value = detail[name];
    if (typeof value === 'string' || typeof value === 'number') parts.push(`${name}: ${value}`);
  }
  for (const name of ['bouncedRecipients', 'diagnosticCodes']) {
    const values = detail[name];
    if (!Array.isArray(values)) continue;
    for (const value of values) {
      const code = typeof value === 'string' ? value : (value as { diagnosticCode?: unknown } | null)?.diagnosticCode;
      if (typeof code === 'string') parts.push(`diagnosticCode: ${code}`);
    }
  }
  return parts.length > 0 ? parts.join(' · ') : '';
}

function headersSection(headers: Record<string, string>): HTMLElement {
  const entries = Object.entries(headers);
  if (entries.length === 0) return section('Headers', h('p', { class: 'empty' }, 'No custom headers.'));
  const body = h('tbody', null, entries.map(([name, value]) => h('tr', null, h('th', { scope: 'row' }, name), h('td', null, value))));
  return section('Headers', scrollingTable('Headers', ['Name', 'Value'], body));
}

function attachmentsSection(email: EmailView): HTMLElement {
  if (email.attachments.length === 0) return section('Attachments', h('p', { class: 'empty' }, 'None'));
  const body = h(
    'tbody',
    null,
    email.attachments.map((file) => h('tr', null, h('td', null, file.filename), h('td', null, file.content_type), h('td', null, file.content_id ?? '—'), h('td', { class: 'number' }, bytes(file.size)))),
  );
  return section('Attachments', scrollingTable('Attachments', ['File name', 'Type', 'Content-ID', 'Size'], body));
}

function htmlSection(html: string | null, remoteImages: boolean, loadImages: () => void): HTMLElement {
  if (html === null || html === '') return section('HTML', h('p', { class: 'empty' }, 'No HTML body.'));
  const frame = h('iframe', { sandbox: '', title: 'HTML body', class: 'email-frame', referrerpolicy: 'no-referrer' });
  // srcdoc is the frame's own document, parsed inside the sandbox, never in the console's page.
  frame.setAttribute('srcdoc', emailDocument(html, remoteImages));
  return section(
    'HTML',
    h(
      'div',
      { class: 'frame-tools' },
      remoteImages
        ? h('p', { class: 'muted' }, 'Remote images are shown: their servers can see that this email was opened.')
        : [h('p', { class: 'muted' }, 'Remote images are blocked, so opening this email here tells no tracker.'), button('Load remote images', loadImages)],
    ),
    frame,
  );
}
