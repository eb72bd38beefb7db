import type { Api } from './api';
import { segment } from './api';
import type { EmailView } from './api-types';

/**
 * Details of the emails the list shows (their recipients' statuses, their tags), fetched with
 * GET /emails/{id}, since list entries carry neither. Tags never change, so an email's tags are
 * read once; statuses are read again on every refresh while mail is still moving (an email under
 * ten minutes old, or with a recipient still queued, sent or delayed), else once a minute, since
 * only a late complaint or auto-reply can still change them.
 */
export class EmailDetails {
  private readonly views = new Map<string, { view: EmailView; fetchedAt: number }>();

  constructor(private readonly api: Api) {}

  cached(id: string): EmailView | undefined {
    return this.views.get(id)?.view;
  }

  /** Reads the details that are missing or stale, at most a few at once. */
  async refresh(ids: readonly string[], now = Date.now()): Promise<void> {
    const due = ids.filter((id) => {
      const entry = this.views.get(id);
      return entry === undefined || isStale(entry.view, entry.fetchedAt, now);
    });
    await inParallel(due, 6, async (id) => {
      try {
        const view = await this.api.get<EmailView>(`/emails/${segment(id)}`);
        this.remember(id, view, now);
      } catch {
        // Shown without statuses this time; the next refresh tries again.
      }
    });
  }

  /** The details needed to match a tag; any already read will do, as tags never change. */
  async tagsOf(ids: readonly string[]): Promise<void> {
    await inParallel(
      ids.filter((id) => !this.views.has(id)),
      6,
      async (id) => {
        try {
          this.remember(id, await this.api.get<EmailView>(`/emails/${segment(id)}`), Date.now());
        } catch {
          // Unreadable now (expired, say): it does not match.
        }
      },
    );
  }

  private remember(id: string, view: EmailView, at: number): void {
    this.views.delete(id);
    this.views.set(id, { view, fetchedAt: at });
    // Bounded: the oldest read goes first.
    if (this.views.size > 2000) this.views.delete(this.views.keys().next().value!);
  }
}

const MOVING = new Set(['scheduled', 'queued', 'sent', 'delayed']);

function isStale(view: EmailView, fetchedAt: number, now: number): boolean {
  const young = now - Date.parse(view.created_at) < 10 * 60_000;
  const moving = young || view.recipients.some((recipient) => MOVING.has(recipient.status));
  return moving || now - fetchedAt > 60_000;
}

export async function inParallel<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await task(item);
    }
  });
  await Promise.all(workers);
}
