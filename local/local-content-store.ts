import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ContentStore, EmailContent } from '../lambda/core/content-store';

/** Local mode's stand-in for the S3 content bucket, in memory. */
export class InMemoryContentStore implements ContentStore {
  readonly contents = new Map<string, string>();

  async put(emailId: string, content: EmailContent): Promise<void> {
    // Kept serialized, as S3 would, so a test sees what survives the round trip.
    this.contents.set(emailId, JSON.stringify(content));
  }

  async get(emailId: string): Promise<EmailContent | undefined> {
    const stored = this.contents.get(emailId);
    return stored === undefined ? undefined : (JSON.parse(stored) as EmailContent);
  }

  async delete(emailId: string): Promise<void> {
    this.contents.delete(emailId);
  }
}

/** Local mode's stand-in for the S3 content bucket with OUTBOX_DATA_DIR: one JSON file per email. */
export class FileContentStore implements ContentStore {
  constructor(private readonly directory: string) {}

  async put(emailId: string, content: EmailContent): Promise<void> {
    await mkdir(this.directory, { recursive: true });
    await writeFile(this.fileOf(emailId), JSON.stringify(content));
  }

  async get(emailId: string): Promise<EmailContent | undefined> {
    try {
      return JSON.parse(await readFile(this.fileOf(emailId), 'utf8')) as EmailContent;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async delete(emailId: string): Promise<void> {
    await rm(this.fileOf(emailId), { force: true });
  }

  private fileOf(emailId: string): string {
    // Ids are UUIDs; anything else must not become a path.
    if (!/^[A-Za-z0-9-]{1,64}$/.test(emailId)) throw new Error(`not an email id: ${JSON.stringify(emailId)}`);
    return path.join(this.directory, `${emailId}.json`);
  }
}
