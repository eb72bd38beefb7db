import { CreateAccessKeyCommand, DeleteAccessKeyCommand, ListAccessKeysCommand, type IAMClient } from '@aws-sdk/client-iam';
import type { AccessKeys } from '../core/smtp-credentials';

/**
 * An IAM user's access keys (ListAccessKeys, CreateAccessKey, DeleteAccessKey). IAM's
 * NoSuchEntity (the user, or the key, is gone) lists as no keys and removes as success, so a
 * Delete that CloudFormation repeats, or one after the user went, succeeds. Every other error is
 * thrown as it is.
 */
export class IamAccessKeys implements AccessKeys {
  constructor(private readonly iam: IAMClient) {}

  async list(userName: string): Promise<string[]> {
    const ids: string[] = [];
    let marker: string | undefined;
    try {
      // IAM allows a user two keys, so one page holds them all; the marker is followed regardless.
      do {
        const page = await this.iam.send(new ListAccessKeysCommand({ UserName: userName, ...(marker ? { Marker: marker } : {}) }));
        for (const key of page.AccessKeyMetadata ?? []) if (key.AccessKeyId) ids.push(key.AccessKeyId);
        marker = page.IsTruncated ? page.Marker : undefined;
      } while (marker);
    } catch (error) {
      if (isNoSuchEntity(error)) return [];
      throw error;
    }
    return ids;
  }

  async create(userName: string): Promise<{ readonly accessKeyId: string; readonly secretAccessKey: string }> {
    const { AccessKey } = await this.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    if (!AccessKey?.AccessKeyId || !AccessKey.SecretAccessKey) throw new Error(`IAM answered CreateAccessKey for ${userName} without the key.`);
    return { accessKeyId: AccessKey.AccessKeyId, secretAccessKey: AccessKey.SecretAccessKey };
  }

  async remove(userName: string, accessKeyId: string): Promise<void> {
    try {
      await this.iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
    } catch (error) {
      if (!isNoSuchEntity(error)) throw error;
    }
  }
}

function isNoSuchEntity(error: unknown): boolean {
  return error instanceof Error && error.name === 'NoSuchEntityException';
}
