import type { ApiKeyRecord } from '../../lambda/core/api-keys';
import type { EmailDraft, EmailRecord } from '../../lambda/core/email';
import type { ApiKeyStore, Clock, EmailSender, EmailStore, SendContext } from '../../lambda/core/ports';

/** In-memory fakes of the core's ports, for unit tests of the use cases. */
export class InMemoryEmailStore implements EmailStore {
  readonly emails = new Map<string, EmailRecord>();

  async create(email: EmailRecord): Promise<void> {
    if (this.emails.has(email.id)) throw new Error(`duplicate ${email.id}`);
    this.emails.set(email.id, email);
  }

  async markSent(id: string, sesMessageId: string): Promise<void> {
    const email = this.emails.get(id);
    if (!email) throw new Error(`no email ${id}`);
    this.emails.set(id, { ...email, sesMessageId, lastEvent: email.lastEvent === 'queued' ? 'sent' : email.lastEvent });
  }

  async discard(id: string): Promise<void> {
    this.emails.delete(id);
  }

  async get(id: string): Promise<EmailRecord | undefined> {
    return this.emails.get(id);
  }
}

export class RecordingSender implements EmailSender {
  readonly sent: { draft: EmailDraft; context: SendContext }[] = [];
  failWith?: Error;

  async send(draft: EmailDraft, context: SendContext): Promise<string> {
    if (this.failWith) throw this.failWith;
    this.sent.push({ draft, context });
    return `ses-${this.sent.length}`;
  }
}

export class InMemoryApiKeyStore implements ApiKeyStore {
  readonly keys = new Map<string, ApiKeyRecord>();

  async create(key: ApiKeyRecord): Promise<void> {
    this.keys.set(key.keyHash, key);
  }

  async findByHash(keyHash: string): Promise<ApiKeyRecord | undefined> {
    return this.keys.get(keyHash);
  }

  async list(): Promise<ApiKeyRecord[]> {
    return [...this.keys.values()];
  }

  async remove(id: string): Promise<boolean> {
    for (const [hash, key] of this.keys) {
      if (key.id === id) return this.keys.delete(hash);
    }
    return false;
  }
}

export function fixedClock(iso: string): Clock {
  return { now: () => new Date(iso) };
}
