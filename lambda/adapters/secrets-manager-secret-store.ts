import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretStore } from '../core/initial-api-key';

/**
 * Secret values in AWS Secrets Manager: GetSecretValue (AWSCURRENT) and PutSecretValue, which
 * makes the new value AWSCURRENT. A secret that does not exist reads as undefined. The secret's
 * encryption is Secrets Manager's own (the key the secret names).
 */
export class SecretsManagerSecretStore implements SecretStore {
  constructor(private readonly secrets: SecretsManagerClient) {}

  async read(secretId: string): Promise<string | undefined> {
    try {
      const answer = await this.secrets.send(new GetSecretValueCommand({ SecretId: secretId }));
      return answer.SecretString;
    } catch (error) {
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  async write(secretId: string, value: string): Promise<void> {
    await this.secrets.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
  }
}
