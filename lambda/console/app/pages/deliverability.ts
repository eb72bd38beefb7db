import type { Deliverability, HourBucket, Sending } from '../api-types';
import { lineChart, type ChartLine } from '../charts';
import { append, button, field, h, on, replaceChildren, scrollingTable, select, type Child } from '../dom';
import { badge, percent, time } from '../format';
import { alertRegion, clearError, every, heading, showError, statusRegion, type MountedPage, type PageContext } from '../page';

/** SES's own lines (SES-FACTS): review at 5% bounces or 0.1% complaints, a likely pause at 10% or 0.5%. */
const SES_BOUNCE_REVIEW = 0.05;
const SES_BOUNCE_PAUSE = 0.1;
const SES_COMPLAINT_REVIEW = 0.001;
const SES_COMPLAINT_PAUSE = 0.005;

/**
 * The account's health from GET /deliverability and GET /sending: volume and the bounce and
 * complaint rates per hour against SES's review and pause lines and Outbox's own thresholds, and
 * the sending pause with its resume button. Refreshes every 10 s.
 */
export function mountDeliverability(ctx: PageContext, page: HTMLElement): MountedPage {
  const alert = alertRegion();
  const status = statusRegion();
  const windowSelect = select(
    [
      { value: '24h', label: 'Last 24 hours' },
      { value: '7d', label: 'Last 7 days' },
    ],
    '24h',
  );
  on(windowSelect, 'change', () => void load(true));
  const body = h('div');
  append(
    page,
    h('div', { class: 'page-head' }, heading('Deliverability'), h('p', { class: 'lede' }, 'What Outbox counted from SES\'s events: hard bounces and complaints against the sends, the rates SES judges an account by.')),
    h('div', { class: 'filters' }, field('Window', windowSelect)),
    alert,
    status,
    body,
  );
  let drawn = '';

  async function load(force = false): Promise<void> {
    try {
      const [report, sending] = await Promise.all([
        ctx.api.get<Deliverability>('/deliverability', { window: windowSelect.value }),
        ctx.api.get<Sending>('/sending').catch(() => undefined),
      ]);
      clearError(alert);
      const signature = JSON.stringify([report, sending]);
      if (!force && signature === drawn) return;
      drawn = signature;
      const focusedResume = document.activeElement?.textContent === 'Resume sending';
      replaceChildren(body, render(ctx, report, sending, resume));
      if (focusedResume) body.querySelector('button')?.focus();
    } catch (error) {
      showError(ctx, alert, error);
    }
  }

  async function resume(): Promise<void> {
    try {
      await ctx.api.post<Sending>('/sending/resume');
      replaceChildren(status, 'Sending resumed.');
      await load(true);
    } catch (error) {
      showError(ctx, alert, error);
    }
  }

  void load(true);
  const stop = every(10_000, () => load());
  return { dispose: stop };
}

function render(ctx: PageContext, report: Deliverability, sending: Sending | undefined, resume: () => Promise<void>): Child[] {
  const t = report.thresholds;
  const windowName = report.window === '7d' ? 'the last 7 days' : 'the last 24 hours';
  const paused = sending ? !sending.enabled : report.status === 'paused';
  const statusText: Record<Deliverability['status'], string> = {
    healthy: `Healthy: the rates are below Outbox's warning thresholds${report.sent < t.minimum_sends ? ` (the guard acts once the 24 h window holds ${t.minimum_sends} sends)` : ''}.`,
    warning: `Warning: a rate is at or above Outbox's warning threshold (bounces ${percent(t.warn_bounce_rate)}, complaints ${percent(t.warn_complaint_rate)}). Find what is bouncing before SES reviews the account.`,
    paused: 'Paused: Outbox is holding all sending until someone resumes it.',
  };
  const pauseCard = paused
    ? h(
        'section',
        { class: 'card paused', 'aria-label': 'Sending paused' },
        h('h2', null, 'Sending is paused'),
        h(
          'dl',
          { class: 'facts' },
          h('dt', null, 'Reason'),
          h('dd', null, sending?.paused_reason ?? 'Not given.'),
          h('dt', null, 'Paused by'),
          h('dd', null, sending?.paused_by ?? '—'),
          h('dt', null, 'Since'),
          h('dd', null, time(sending?.paused_at)),
        ),
        h('p', null, 'Emails sent with POST /emails are refused meanwhile; batch and scheduled emails wait, queued, and go out after the resume.'),
        sending?.paused_by === 'ses' ? h('p', null, 'SES itself paused sending; this ends by itself once SES sends again.') : button('Resume sending', () => void resume()),
      )
    : null;

  const series = report.series;
  const labels = series ? series.map((bucket) => hourLabel(bucket.hour, report.window)) : ['window start', 'now'];
  const bounceLines: ChartLine[] = [
    { value: t.warn_bounce_rate, label: 'Outbox warns', tone: 'warn' },
    { value: t.pause_bounce_rate, label: 'Outbox pauses', tone: 'guard' },
    { value: SES_BOUNCE_REVIEW, label: 'SES review', tone: 'review' },
    { value: SES_BOUNCE_PAUSE, label: 'SES pause', tone: 'pause' },
  ];
  const complaintLines: ChartLine[] = [
    { value: t.warn_complaint_rate, label: 'Outbox warns', tone: 'warn' },
    { value: t.pause_complaint_rate, label: 'Outbox pauses', tone: 'guard' },
    { value: SES_COMPLAINT_REVIEW, label: 'SES review', tone: 'review' },
    { value: SES_COMPLAINT_PAUSE, label: 'SES pause', tone: 'pause' },
  ];
  const rates = (pick: (bucket: HourBucket) => number, windowRate: number): (number | null)[] =>
    series ? series.map((bucket) => (bucket.sent > 0 ? pick(bucket) / bucket.sent : null)) : [windowRate, windowRate];
  const peak = (values: readonly (number | null)[]): string => percent(Math.max(0, ...values.filter((v): v is number => v !== null)));
  const bounceRates = rates((bucket) => bucket.bounced, report.bounce_rate);
  const complaintRates = rates((bucket) => bucket.complained, report.complaint_rate);
  const perWhat = series ? 'per hour' : `over ${windowName}`;
  const count = (value: number): string => String(Math.round(value));

  return [
    h('p', { class: `health health-${report.status}` }, badge(report.status), ' ', statusText[report.status]),
    pauseCard,
    h(
      'section',
      { class: 'card', 'aria-label': 'Totals' },
      h('h2', null, `Totals over ${windowName}`),
      h(
        'dl',
        { class: 'figures' },
        figure('Sent', String(report.sent)),
        figure('Delivered', String(report.delivered)),
        figure('Hard bounces', String(report.bounced)),
        figure('Complaints', String(report.complained)),
        figure('Bounce rate', percent(report.bounce_rate)),
        figure('Complaint rate', percent(report.complaint_rate)),
      ),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', null, 'Volume'),
      series
        ? lineChart({
            label: `Volume per hour over ${windowName}: ${report.sent} sent, ${report.delivered} delivered, ${report.bounced} hard bounces, ${report.complained} complaints.`,
            xLabels: labels,
            format: count,
            whole: true,
            series: [
              { name: 'Sent', tone: 'series-1', values: series.map((b) => b.sent) },
              { name: 'Delivered', tone: 'series-2', values: series.map((b) => b.delivered) },
              { name: 'Hard bounces', tone: 'series-3', values: series.map((b) => b.bounced) },
              { name: 'Complaints', tone: 'series-4', values: series.map((b) => b.complained) },
            ],
          })
        : h('p', { class: 'empty' }, 'This Outbox reports no hourly series, only the totals above.'),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', null, 'Bounce rate'),
      lineChart({
        label: `Bounce rate ${perWhat} over ${windowName}, highest ${peak(bounceRates)}; SES reviews an account at ${percent(SES_BOUNCE_REVIEW)} and may pause it at ${percent(SES_BOUNCE_PAUSE)}; Outbox warns at ${percent(t.warn_bounce_rate)} and pauses at ${percent(t.pause_bounce_rate)}.`,
        xLabels: labels,
        format: percent,
        series: [{ name: `Bounce rate ${perWhat}`, tone: 'series-3', values: bounceRates }],
        lines: bounceLines,
        ceiling: 2 * SES_BOUNCE_PAUSE,
      }),
    ),
    h(
      'section',
      { class: 'card' },
      h('h2', null, 'Complaint rate'),
      lineChart({
        label: `Complaint rate ${perWhat} over ${windowName}, highest ${peak(complaintRates)}; SES reviews an account at ${percent(SES_COMPLAINT_REVIEW)} and may pause it at ${percent(SES_COMPLAINT_PAUSE)}; Outbox warns at ${percent(t.warn_complaint_rate)} and pauses at ${percent(t.pause_complaint_rate)}.`,
        xLabels: labels,
        format: percent,
        series: [{ name: `Complaint rate ${perWhat}`, tone: 'series-4', values: complaintRates }],
        lines: complaintLines,
        ceiling: 2 * SES_COMPLAINT_PAUSE,
      }),
    ),
    series ? hourlyTable(series) : null,
    report.domains.length > 0
      ? h(
          'section',
          { class: 'card' },
          h('h2', null, 'By sending domain'),
          scrollingTable(
            'By sending domain',
            ['Domain', 'Sent', 'Delivered', 'Hard bounces', 'Complaints', 'Bounce rate', 'Complaint rate'],
            h('tbody', null, report.domains.map((d) => h('tr', null, h('td', null, d.domain), numberCell(d.sent), numberCell(d.delivered), numberCell(d.bounced), numberCell(d.complained), numberCell(percent(d.bounce_rate)), numberCell(percent(d.complaint_rate))))),
          ),
        )
      : null,
    ctx.local ? h('p', { class: 'muted' }, 'Locally the mailbox simulator is never counted, as in SES: send to ordinary addresses to see the counters move.') : null,
  ];
}

function figure(term: string, value: string): Child {
  return h('div', { class: 'figure' }, h('dt', null, term), h('dd', null, value));
}

function numberCell(value: number | string): HTMLTableCellElement {
  return h('td', { class: 'number' }, String(value));
}

function hourlyTable(series: readonly HourBucket[]): HTMLElement {
  const rows = [...series].reverse().filter((bucket) => bucket.sent + bucket.delivered + bucket.bounced + bucket.complained > 0);
  return h(
    'details',
    { class: 'card' },
    h('summary', null, 'The hourly numbers'),
    rows.length === 0
      ? h('p', { class: 'empty' }, 'Nothing counted in this window.')
      : scrollingTable(
          'Hourly numbers',
          ['Hour', 'Sent', 'Delivered', 'Hard bounces', 'Complaints'],
          h('tbody', null, rows.map((bucket) => h('tr', null, h('td', null, time(bucket.hour)), numberCell(bucket.sent), numberCell(bucket.delivered), numberCell(bucket.bounced), numberCell(bucket.complained)))),
        ),
  );
}

function hourLabel(iso: string, window: '24h' | '7d'): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return window === '7d'
    ? date.toLocaleString(undefined, { weekday: 'short', hour: '2-digit' })
    : date.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}
