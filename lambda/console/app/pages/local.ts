import type { DeadLetter, ListAnswer, StandInMessage } from '../api-types';
import { append, button, h, replaceChildren, scrollingTable } from '../dom';
import { badge, bytes, shortSesMessageId, subjectText, time } from '../format';
import { alertRegion, clearError, heading, showError, type MountedPage, type PageContext } from '../page';

const NOT_LOCAL = 'This page exists only under npm start: this Outbox has no local routes.';

/** What the SES stand-in accepted (GET /_local/messages), newest first. */
export function mountStandInMessages(ctx: PageContext, page: HTMLElement): MountedPage {
  return mountLocalList<StandInMessage>(ctx, page, {
    title: 'SES stand-in',
    lede: 'The messages the local SES stand-in accepted, newest first, as SES would have sent them.',
    path: '/_local/messages',
    render: (all) => {
      const shown = all.slice(0, 200);
      return [
        shown.length === 0
          ? h('p', { class: 'empty' }, 'None yet.')
          : scrollingTable('Accepted messages', ['Received', 'Message', 'Recipients', 'Kind', 'Tags', 'SES message ID'], h('tbody', null, shown.map(standInRow))),
        all.length > shown.length ? h('p', { class: 'muted' }, `The newest ${shown.length} of ${all.length}.`) : null,
      ];
    },
  });
}

/**
 * A local-only list page: its heading and lede, a Refresh button, and what `render` makes of the
 * list at `path`; an error (or an Outbox without local routes) in its alert region.
 */
function mountLocalList<T>(
  ctx: PageContext,
  page: HTMLElement,
  spec: { readonly title: string; readonly lede: string; readonly path: string; readonly render: (items: readonly T[]) => (Node | null)[] },
): MountedPage {
  const alert = alertRegion();
  const content = h('div');
  append(page, h('div', { class: 'page-head' }, heading(spec.title), h('p', { class: 'lede' }, spec.lede)), button('Refresh', () => void load()), alert, content);

  async function load(): Promise<void> {
    if (!ctx.local) return showError(ctx, alert, new Error(NOT_LOCAL));
    try {
      const answer = await ctx.api.get<ListAnswer<T>>(spec.path);
      clearError(alert);
      replaceChildren(content, ...spec.render(answer.data));
    } catch (error) {
      showError(ctx, alert, error);
    }
  }

  void load();
  return { dispose: () => undefined };
}

/**
 * One accepted message in six columns that fit a laptop's width: the subject over its sender, the
 * kind over its size, the tags as chips that wrap, and the long SES id shortened (whole on hover).
 */
function standInRow(message: StandInMessage): HTMLTableRowElement {
  return h(
    'tr',
    null,
    h('td', { class: 'when' }, time(message.receivedAt)),
    h('td', { class: 'message' }, h('div', { class: 'subject-line' }, subjectText(message.subject)), h('div', { class: 'muted' }, message.from)),
    h('td', null, h('ul', { class: 'recipients' }, message.recipients.map((recipient) => h('li', null, recipient)))),
    h('td', null, message.contentKind, h('div', { class: 'muted' }, bytes(message.sizeBytes))),
    h('td', { class: 'tag-cell' }, message.tags.length > 0 ? h('ul', { class: 'chips' }, message.tags.map((tag) => h('li', { class: 'chip' }, `${tag.name}=${tag.value}`))) : '—'),
    h('td', null, shortSesMessageId(message.messageId)),
  );
}

/** The local queues' dead letters (GET /_local/dead-letters): what failed for good, and why. */
export function mountDeadLetters(ctx: PageContext, page: HTMLElement): MountedPage {
  return mountLocalList<DeadLetter>(ctx, page, {
    title: 'Dead letters',
    lede: 'Queue messages that failed every try: SES events (5), webhook deliveries (8), queued emails (100).',
    path: '/_local/dead-letters',
    render: (letters) => [
      letters.length === 0
        ? h('p', { class: 'empty' }, 'None')
        : scrollingTable(
            'Dead letters',
            ['Dead-lettered', 'Queue', 'What failed', 'Why', 'Receives', 'Message id'],
            h(
              'tbody',
              null,
              letters.map((letter) =>
                h(
                  'tr',
                  null,
                  h('td', { class: 'when' }, time(letter.dead_lettered_at)),
                  h('td', null, badge(letter.queue)),
                  h('td', null, letter.failed),
                  h('td', { class: 'reason' }, letter.reason),
                  h('td', { class: 'number' }, String(letter.receive_count)),
                  h('td', null, h('code', null, letter.message_id)),
                ),
              ),
            ),
          ),
    ],
  });
}
