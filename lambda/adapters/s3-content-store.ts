import { DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ContentStore, EmailContent } from '../core/content-store';

/**
 * Email content in an S3 bucket, one JSON object per email at `emails/<id>.json`. The bucket's
 * encryption and its lifecycle rule (objects expire with the emails' retention) are the stack's.
 */
export class S3ContentStore implements ContentStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async put(emailId: string, content: EmailContent): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: keyOf(emailId), Body: JSON.stringify(content), ContentType: 'application/json' }),
    );
  }

  async get(emailId: string): Promise<EmailContent | undefined> {
    try {
      const { Body } = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: keyOf(emailId) }));
      if (!Body) return undefined;
      return JSON.parse(await Body.transformToString('utf-8')) as EmailContent;
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  async delete(emailId: string): Promise<void> {
    // S3 answers a delete of an absent key with success.
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: keyOf(emailId) }));
  }
}

function keyOf(emailId: string): string {
  return `emails/${emailId}.json`;
}
