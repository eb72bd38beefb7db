import { IAMClient } from '@aws-sdk/client-iam';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { IamAccessKeys } from '../adapters/iam-access-keys';
import { SecretsManagerSecretStore } from '../adapters/secrets-manager-secret-store';
import { applySmtpCredentials, readSmtpCredentialsProperties } from '../core/smtp-credentials';
import { customResourceHandler, toResourceRequest } from '../entrypoints/cloudformation-custom-resource';

// IAM is global: the client's endpoint rules pick IAM's endpoint and signing Region for the function's partition.
const accessKeys = new IamAccessKeys(new IAMClient({}));
const secrets = new SecretsManagerSecretStore(new SecretsManagerClient({}));

/**
 * The Custom::OutboxSmtpCredentials resource: an access key of the SMTP user, its SES SMTP
 * password in the stack's secret. The user and the secret come from the resource's properties, so
 * a Delete acts on the ones the key was made for.
 */
export const handler = customResourceHandler((event) => applySmtpCredentials({ accessKeys, secrets }, toResourceRequest(event, readSmtpCredentialsProperties)));
