import { parseArgs } from 'node:util';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SecretsManagerSecretStore } from '../lambda/adapters/secrets-manager-secret-store';
import { parseSmtpCredentialsSecret, type SmtpCredentialsSecret } from '../lambda/core/smtp-credentials';

const USAGE = `Print the SMTP settings of the stack's SMTP user (SES's own SMTP endpoint; uses your AWS credentials).

  npm run smtp-credentials -- [--stack <name>] [--region <aws region>] [--show-password]

Reads the stack's outputs SmtpPasswordSecretArn and SmtpUsername (CloudFormation DescribeStacks)
and the secret they name (Secrets Manager GetSecretValue), which holds host, ports, user and password. The password is printed
only with --show-password; otherwise the secret holding it is named.
The stack (default Outbox) has these outputs only when deployed with -c outbox:smtpUser=true.`;

const OUTPUTS = { username: 'SmtpUsername', secretArn: 'SmtpPasswordSecretArn' } as const;

/** A problem the user can act on: printed alone, exit code 1. */
class SmtpCredentialsError extends Error {
  override readonly name = 'SmtpCredentialsError';
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      stack: { type: 'string', default: 'Outbox' },
      region: { type: 'string' },
      'show-password': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return;
  }
  const stackName = values.stack;
  const outputs = await stackOutputs(stackName, values.region);
  const secretArn = outputs[OUTPUTS.secretArn];
  if (secretArn === undefined) {
    throw new SmtpCredentialsError(
      `The stack ${stackName} has no ${OUTPUTS.secretArn} output: it was deployed without outbox:smtpUser, so it has no SMTP user. ` +
        'Deploy it with -c outbox:smtpUser=true (it needs outbox:sendingDomain or outbox:identities), then run this again.',
    );
  }
  const credentials = await readCredentials(secretArn, stackName);
  process.stdout.write(report(stackName, secretArn, credentials, outputs, values['show-password'] === true));
}

/** The stack's outputs from CloudFormation (DescribeStacks). */
async function stackOutputs(stackName: string, region: string | undefined): Promise<Readonly<Record<string, string>>> {
  const client = new CloudFormationClient(region ? { region } : {});
  try {
    const { Stacks } = await client.send(new DescribeStacksCommand({ StackName: stackName }));
    const outputs = Stacks?.[0]?.Outputs ?? [];
    if (!outputs.some((o) => o.OutputKey === OUTPUTS.secretArn) && Stacks?.[0]?.StackStatus?.endsWith('_IN_PROGRESS')) {
      throw new SmtpCredentialsError(`The stack ${stackName} is ${Stacks[0].StackStatus}; run this again once it is deployed.`);
    }
    return Object.fromEntries(outputs.flatMap((o) => (o.OutputKey && o.OutputValue !== undefined ? [[o.OutputKey, o.OutputValue]] : [])));
  } catch (error) {
    if (error instanceof Error && error.name === 'ValidationError') {
      throw new SmtpCredentialsError(`CloudFormation has no stack ${stackName} here (${error.message}); name it with --stack, and its Region with --region.`);
    }
    throw error;
  } finally {
    client.destroy();
  }
}

/** The credentials the stack's resource wrote into the secret (in the secret's own Region). */
async function readCredentials(secretArn: string, stackName: string): Promise<SmtpCredentialsSecret> {
  // arn:aws:secretsmanager:<region>:<account>:secret:<name>
  const region = /^arn:[^:]+:secretsmanager:([^:]+):/.exec(secretArn)?.[1];
  const client = new SecretsManagerClient(region ? { region } : {});
  try {
    const value = await new SecretsManagerSecretStore(client).read(secretArn);
    if (value === undefined) throw new SmtpCredentialsError(`The secret ${secretArn} does not exist (any more): deploy the stack ${stackName} again.`);
    const credentials = parseSmtpCredentialsSecret(value);
    if (!credentials) {
      throw new SmtpCredentialsError(
        `The secret ${secretArn} holds no SMTP credentials yet (still the placeholder it was made with): the stack's SmtpCredentials resource has not written it. Wait for the deploy to finish, or deploy again.`,
      );
    }
    return credentials;
  } finally {
    client.destroy();
  }
}

function report(stackName: string, secretArn: string, credentials: SmtpCredentialsSecret, outputs: Readonly<Record<string, string>>, showPassword: boolean): string {
  const lines = [
    `SMTP settings of the ${stackName} stack's SMTP user (SES's SMTP endpoint in ${credentials.region}):`,
    '',
    `  Host      ${credentials.host}`,
    `  Port      ${credentials.ports.starttls} with STARTTLS, or ${credentials.ports.tls} with TLS from the start (TLS is required)`,
    `  User      ${credentials.username}`,
    showPassword
      ? `  Password  ${credentials.password}`
      : `  Password  in the Secrets Manager secret ${secretArn} (JSON field "password");\n            print it with --show-password`,
    '',
    'The From address must belong to an identity the stack names (outbox:sendingDomain, outbox:identities).',
  ];
  // While a rotation is deployed the outputs may still name the previous key: the secret is what the password matches.
  const listed = outputs[OUTPUTS.username];
  if (listed !== undefined && listed !== credentials.username) {
    lines.push(`The stack output ${OUTPUTS.username} (${listed}) names another key than the secret: the secret's is the one its password belongs to.`);
  }
  return `${lines.join('\n')}\n`;
}

main().catch((error: unknown) => {
  console.error(error instanceof SmtpCredentialsError ? error.message : error);
  process.exit(1);
});
