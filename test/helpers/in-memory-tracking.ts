import type { AppendedEvent, SoftBounceCounter, TimelineEntry, TrackedEmail, TrackingStore } from '../../lambda/core/tracking';

/** One timeline item, as the DynamoDB store keeps it: the entry, and where its notification stands. */
export interface TimelineItem {
  readonly entry: TimelineEntry;
  notifyClaim?: number;
  notifiedAt?: string;
}

/**
 * The events path's store in maps, with the TrackingStore port's semantics as DynamoDbEmailStore
 * has them: the entry first stored stays, the first claim stands, takeovers and releases are
 * conditional on the claim seen.
 */
export class InMemoryTrackingStore implements TrackingStore {
  /** By owner, then by the item's sort key (time and event key). */
  readonly timelines = new Map<string, Map<string, TimelineItem>>();
  /** Emails the events path can find by SES message ID. */
  readonly emails = new Map<string, TrackedEmail>();

  async findEmail(sesMessageId: string): Promise<TrackedEmail | undefined> {
    return this.emails.get(sesMessageId);
  }

  async appendEvent(owner: string, entry: TimelineEntry, claimAt?: number): Promise<AppendedEvent> {
    const timeline = this.timelines.get(owner) ?? new Map<string, TimelineItem>();
    this.timelines.set(owner, timeline);
    const key = sortKey(entry);
    const old = timeline.get(key);
    if (old === undefined) {
      timeline.set(key, { entry, ...(claimAt !== undefined ? { notifyClaim: claimAt } : {}) });
      return { firstTime: true, notification: { state: claimAt !== undefined ? 'claimed' : 'none' } };
    }
    if (old.notifiedAt !== undefined) return { firstTime: false, notification: { state: 'sent' } };
    if (old.notifyClaim !== undefined) return { firstTime: false, notification: { state: 'held', claimedAt: old.notifyClaim } };
    if (claimAt !== undefined) old.notifiedAt = new Date(claimAt).toISOString();
    return { firstTime: false, notification: { state: 'sent' } };
  }

  async takeOverNotification(owner: string, entry: TimelineEntry, seen: number, at: number): Promise<boolean> {
    const item = this.item(owner, entry);
    if (item?.notifyClaim !== seen || item.notifiedAt !== undefined) return false;
    item.notifyClaim = at;
    return true;
  }

  async releaseNotification(owner: string, entry: TimelineEntry, claim: number): Promise<void> {
    const item = this.item(owner, entry);
    if (item?.notifyClaim === claim && item.notifiedAt === undefined) item.notifyClaim = 0;
  }

  async markNotified(owner: string, entry: TimelineEntry, at: string): Promise<void> {
    const item = this.item(owner, entry);
    if (!item) throw new Error(`no timeline item ${owner} ${sortKey(entry)}`);
    item.notifiedAt ??= at;
  }

  /** Every entry of the owner's timeline. */
  entries(owner: string): TimelineEntry[] {
    return [...(this.timelines.get(owner)?.values() ?? [])].map((item) => item.entry);
  }

  item(owner: string, entry: Pick<TimelineEntry, 'occurredAt' | 'eventKey'>): TimelineItem | undefined {
    return this.timelines.get(owner)?.get(sortKey(entry));
  }
}

function sortKey(entry: Pick<TimelineEntry, 'occurredAt' | 'eventKey'>): string {
  return `event#${entry.occurredAt}#${entry.eventKey}`;
}

/** Soft bounces per address, idempotent on the bounce key, counted within the window. */
export class InMemorySoftBounceCounter implements SoftBounceCounter {
  readonly bounces = new Map<string, Map<string, number>>();

  async record(address: string, bounceKey: string, at: Date, windowDays: number): Promise<number> {
    const mine = this.bounces.get(address) ?? new Map<string, number>();
    this.bounces.set(address, mine);
    if (!mine.has(bounceKey)) mine.set(bounceKey, at.getTime());
    const since = at.getTime() - windowDays * 86_400_000;
    return [...mine.values()].filter((t) => t > since).length;
  }
}
