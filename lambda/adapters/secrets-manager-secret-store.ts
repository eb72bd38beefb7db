import { GetSecretValueCommand, PutSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SecretStore } from '../core/initial-api-key';
import type { CredentialsSecret } from '../core/smtp-credentials';

/**
 * Secret values in AWS Secrets Manager: GetSecretValue (AWSCURRENT, or AWSPREVIOUS for the value
 * before it) and PutSecretValue, which makes the new value AWSCURRENT and the one it replaces
 * AWSPREVIOUS. A secret, or a stage, that does not exist reads as undefined. The secret's
 * encryption is Secrets Manager's own (the key the secret names).
 */
export class SecretsManagerSecretStore implements SecretStore, CredentialsSecret {
  constructor(private readonly secrets: SecretsManagerClient) {}

  read(secretId: string): Promise<string | undefined> {
    return this.readStage(secretId, 'AWSCURRENT');
  }

  readPrevious(secretId: string): Promise<string | undefined> {
    return this.readStage(secretId, 'AWSPREVIOUS');
  }

  private async readStage(secretId: string, stage: 'AWSCURRENT' | 'AWSPREVIOUS'): Promise<string | undefined> {
    try {
      // AWSCURRENT is GetSecretValue's default: it is left implicit, as before.
      const answer = await this.secrets.send(new GetSecretValueCommand({ SecretId: secretId, ...(stage === 'AWSCURRENT' ? {} : { VersionStage: stage }) }));
      return answer.SecretString;
    } catch (error) {
      // Secrets Manager answers ResourceNotFoundException for a missing secret and for a stage no version has.
      if (error instanceof Error && error.name === 'ResourceNotFoundException') return undefined;
      throw error;
    }
  }

  async write(secretId: string, value: string): Promise<void> {
    await this.secrets.send(new PutSecretValueCommand({ SecretId: secretId, SecretString: value }));
  }
}
