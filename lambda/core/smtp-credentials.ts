import { SMTP_CREDENTIALS_RESOURCE } from '../shared/custom-resources';
import { requiredString, resourceStep, secretObject, type ResourceOutcome, type ResourceRequest } from './custom-resource';
import { SES_SMTP_PORTS, smtpHostFor, smtpPasswordFor } from './smtp-password';

/**
 * The SMTP user's credentials as a custom resource: an IAM access key of the user, turned into an
 * SES SMTP password and kept in a Secrets Manager secret of the stack. The access key's secret is
 * used once, to derive the password, and stored nowhere. The physical id is the access key's id.
 */

/** The IAM access keys of users (IAM in AWS). */
export interface AccessKeys {
  /** The ids of the user's access keys; none when the user does not exist. */
  list(userName: string): Promise<string[]>;
  create(userName: string): Promise<{ readonly accessKeyId: string; readonly secretAccessKey: string }>;
  /** Removing a key (or a user) that does not exist is success. */
  remove(userName: string, accessKeyId: string): Promise<void>;
}

/** The credentials' secret: its current value, the one before it, and new values. */
export interface CredentialsSecret {
  /** The current value; undefined when there is none. */
  read(secretId: string): Promise<string | undefined>;
  /** The value before the current one; undefined when there is none. */
  readPrevious(secretId: string): Promise<string | undefined>;
  write(secretId: string, value: string): Promise<void>;
}

export interface SmtpCredentialsProperties {
  readonly userName: string;
  readonly secretId: string;
  readonly region: string;
  readonly rotation: string;
}

/** Reads the resource's properties: UserName, SecretArn, Region and Rotation. */
export function readSmtpCredentialsProperties(properties: Readonly<Record<string, unknown>>): SmtpCredentialsProperties {
  const names = SMTP_CREDENTIALS_RESOURCE.properties;
  return {
    userName: requiredString(properties, names.userName, 'SMTP credentials'),
    secretId: requiredString(properties, names.secretArn, 'SMTP credentials'),
    region: requiredString(properties, names.region, 'SMTP credentials'),
    rotation: requiredString(properties, names.rotation, 'SMTP credentials'),
  };
}

/** The secret's value, JSON: what an SMTP client is configured with. */
export interface SmtpCredentialsSecret {
  /** The access key's id. */
  readonly username: string;
  readonly password: string;
  readonly host: string;
  readonly ports: { readonly starttls: number; readonly tls: number };
  readonly region: string;
}

/** Reads a secret value as SmtpCredentialsSecret; anything else (the placeholder the secret is made with) is undefined. */
export function parseSmtpCredentialsSecret(value: string | undefined): SmtpCredentialsSecret | undefined {
  const candidate = secretObject(value);
  if (!candidate) return undefined;
  const ports = candidate.ports as Record<string, unknown> | undefined;
  const strings = [candidate.username, candidate.password, candidate.host, candidate.region];
  if (!strings.every((field) => typeof field === 'string' && field !== '')) return undefined;
  if (typeof ports?.starttls !== 'number' || typeof ports.tls !== 'number') return undefined;
  return candidate as unknown as SmtpCredentialsSecret;
}

/** IAM's access key ids: AKIA and 16 more upper-case letters and digits (ASIA ones are temporary, never a user's). */
const ACCESS_KEY_ID = /^AKIA[A-Z0-9]{12,124}$/;

export interface SmtpCredentialsDeps {
  readonly accessKeys: AccessKeys;
  readonly secrets: CredentialsSecret;
}

/**
 * Applies one lifecycle request to the SMTP credentials:
 * 1. Create and Update: list the user's keys and read the secret. When the secret holds a key of
 *    the user that is not the one this request replaces (a retried Create or Update that already
 *    finished), that key is the answer: no second key is made.
 * 2. Otherwise delete the user's keys other than the one being replaced: each was made by an
 *    attempt that stopped before writing the secret, so its secret is lost (and IAM allows a user
 *    two keys). The key being replaced stays until CloudFormation deletes it, after the update.
 * 3. Create a key, derive the SMTP password for the Region, write
 *    `{ username, password, host, ports, region }` to the secret, answer the key's id.
 * Every Update makes a new key: its properties only change to rotate (Rotation) or to move.
 * 4. Delete: delete the key the physical id names. A physical id that is no key id (a Create that
 *    failed) deletes every key of the user, all made by that Create. When the secret holds the
 *    deleted key and its previous value holds a key of the user that still exists (a rotation
 *    CloudFormation rolled back), that previous value is made current again.
 * Every failure is a ResourceFailure.
 */
export async function applySmtpCredentials(deps: SmtpCredentialsDeps, request: ResourceRequest<SmtpCredentialsProperties>): Promise<ResourceOutcome> {
  const { userName, secretId, region } = request.properties;
  const replaced = request.type === 'Update' ? request.physicalResourceId : undefined;

  if (request.type === 'Delete') {
    const physicalId = request.physicalResourceId ?? '';
    const doomed = ACCESS_KEY_ID.test(physicalId) ? [physicalId] : await resourceStep(`list the access keys of ${userName}`, () => deps.accessKeys.list(userName));
    for (const id of doomed) await resourceStep(`delete the access key ${id} of ${userName}`, () => deps.accessKeys.remove(userName, id));
    await restorePrevious(deps, request.properties, doomed);
    return { physicalResourceId: physicalId || `none:${request.logicalResourceId}` };
  }

  const keys = await resourceStep(`list the access keys of ${userName}`, () => deps.accessKeys.list(userName));
  const held = parseSmtpCredentialsSecret(await resourceStep(`read the secret ${secretId}`, () => deps.secrets.read(secretId)));
  if (held && held.region === region && held.username !== replaced && keys.includes(held.username)) return answer(held.username);

  for (const id of keys.filter((key) => key !== replaced)) {
    await resourceStep(`delete the access key ${id} of ${userName}, whose password was never stored`, () => deps.accessKeys.remove(userName, id));
  }
  const key = await resourceStep(`create an access key for ${userName}`, () => deps.accessKeys.create(userName));
  const value: SmtpCredentialsSecret = {
    username: key.accessKeyId,
    password: smtpPasswordFor(key.secretAccessKey, region),
    host: smtpHostFor(region),
    ports: { ...SES_SMTP_PORTS },
    region,
  };
  await resourceStep(`write the secret ${secretId}`, () => deps.secrets.write(secretId, JSON.stringify(value)));
  return answer(key.accessKeyId);
}

async function restorePrevious(deps: SmtpCredentialsDeps, properties: SmtpCredentialsProperties, deleted: readonly string[]): Promise<void> {
  const { userName, secretId } = properties;
  const held = parseSmtpCredentialsSecret(await resourceStep(`read the secret ${secretId}`, () => deps.secrets.read(secretId)));
  if (!held || !deleted.includes(held.username)) return;
  const previousValue = await resourceStep(`read the previous value of the secret ${secretId}`, () => deps.secrets.readPrevious(secretId));
  const previous = parseSmtpCredentialsSecret(previousValue);
  if (!previous || previousValue === undefined) return;
  const keys = await resourceStep(`list the access keys of ${userName}`, () => deps.accessKeys.list(userName));
  if (keys.includes(previous.username)) await resourceStep(`write the secret ${secretId}`, () => deps.secrets.write(secretId, previousValue));
}

function answer(accessKeyId: string): ResourceOutcome {
  return { physicalResourceId: accessKeyId, data: { [SMTP_CREDENTIALS_RESOURCE.attributes.username]: accessKeyId } };
}
