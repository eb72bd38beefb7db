import { h } from './dom';

/** A timestamp as a person reads it, in their own time zone; the ISO form on hover. */
export function time(iso: string | null | undefined): HTMLElement | string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return h('time', { datetime: date.toISOString(), title: date.toISOString() }, date.toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }));
}

/** 0.05 -> "5%", 0.0008 -> "0.08%". */
export function percent(rate: number): string {
  return `${Number((rate * 100).toPrecision(3))}%`;
}

export function bytes(size: number): string {
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

/**
 * A status as a badge. The class is built only from the known alphabet of statuses, so an
 * unexpected value cannot inject class names; the text is the value itself.
 */
export function badge(status: string): HTMLElement {
  const safe = /^[a-z_]{1,32}$/.test(status) ? status : 'unknown';
  return h('span', { class: `badge badge-${safe.replace(/_/g, '-')}` }, status);
}

/** The address inside `Name <addr>`, or the text itself. */
export function addressOf(mailbox: string): string {
  const match = /<([^<>]*)>\s*$/.exec(mailbox);
  return (match?.[1] ?? mailbox).trim();
}

/** An id shortened for tables; the whole id stays in the title. */
export function shortId(id: string): HTMLElement {
  return h('code', { title: id }, id.length > 13 ? `${id.slice(0, 8)}…` : id);
}

/**
 * An SES message id shortened for tables: its first 16 characters are a region prefix and the
 * time (the same for every row of a minute), so it shows the start of the random part instead,
 * e.g. `…66ca92ab…`; the whole id stays in the title.
 */
export function shortSesMessageId(id: string): HTMLElement {
  const random = /^[0-9a-f]{16}-([0-9a-f]{8})-/.exec(id)?.[1];
  return random ? h('code', { title: id }, `…${random}…`) : shortId(id);
}

/** What a subject shows as: "(no subject)" when empty. */
export function subjectText(subject: string | null | undefined): string {
  return subject && subject.trim() !== '' ? subject : '(no subject)';
}
