import type { Template } from 'aws-cdk-lib/assertions';
import { API_DOMAIN_TAG } from '../../lambda/shared/env';
import { CONTEXT } from '../../lib/context';
import { asArray, render, synthOutboxFromContext } from './synth';

const SES_ARN = 'arn:${AWS::Partition}:ses:${AWS::Region}:${AWS::AccountId}';
const API = 'Outbox HTTP API';
const SENDER = 'Outbox sender';
const SUPPRESSION_SYNC = 'Outbox account-level suppression sync';

interface AllowedWildcard {
  readonly functions: readonly string[];
  readonly actions: readonly string[];
  readonly resource: string;
  /** Only when no sending identity is configured (outbox:sendingDomain and outbox:identities unset). */
  readonly anyIdentityOnly?: boolean;
  /** Only when some sending identity is configured. */
  readonly namedIdentitiesOnly?: boolean;
  /** Only under a condition on this stack's domains-API tag (aws:ResourceTag or aws:RequestTag). */
  readonly tagged?: boolean;
  readonly reason: string;
}

/**
 * Every IAM resource that is `*` or ends in `*` that a function's role may hold, and why. A new
 * wildcard fails the test below until it is added here with its reason (and acknowledged for
 * cdk-nag on its own policy).
 */
const ALLOWED_WILDCARDS: readonly AllowedWildcard[] = [
  {
    functions: [SENDER],
    actions: ['ses:GetAccount'],
    resource: '*',
    reason: 'The sender reads the account send rate and whether sending is paused; GetAccount has no resource type.',
  },
  {
    functions: [API],
    actions: ['ses:GetAccount', 'ses:ListEmailIdentities'],
    resource: '*',
    reason: 'GET /account reports the sending status and lists the identities; neither action has a resource type.',
  },
  {
    functions: [SUPPRESSION_SYNC],
    actions: ['ses:PutSuppressedDestination', 'ses:DeleteSuppressedDestination'],
    resource: '*',
    reason: "The suppression sync mirrors Outbox's list into SES's account-level list; neither action has a resource type.",
  },
  {
    functions: [SUPPRESSION_SYNC],
    actions: ['dynamodb:ListStreams'],
    resource: '*',
    reason: 'Reading the suppressions table stream takes ListStreams, which has no resource type.',
  },
  {
    functions: [API, SENDER],
    actions: ['ses:SendEmail', 'ses:SendRawEmail'],
    resource: `${SES_ARN}:template/*`,
    reason: 'A templated send is authorized against the template the caller names at send time.',
  },
  {
    functions: [API, SENDER],
    actions: ['ses:SendEmail', 'ses:SendRawEmail'],
    resource: `${SES_ARN}:identity/*`,
    anyIdentityOnly: true,
    reason: 'With no identity configured, Outbox may send from any identity SES has verified for the account.',
  },
  {
    functions: [API],
    actions: ['ses:GetEmailIdentity'],
    resource: `${SES_ARN}:identity/*`,
    anyIdentityOnly: true,
    reason: 'With no identity configured, GET /account reports on every identity of the account.',
  },
  {
    functions: [API, SENDER],
    actions: ['ses:SendEmail', 'ses:SendRawEmail'],
    resource: `${SES_ARN}:identity/*`,
    namedIdentitiesOnly: true,
    tagged: true,
    reason: 'Domains made through the domains API are named at run time; only identities tagged for this stack may send.',
  },
  {
    functions: [API],
    actions: ['ses:CreateEmailIdentity', 'ses:TagResource'],
    resource: `${SES_ARN}:identity/*`,
    tagged: true,
    reason: "POST /domains creates an identity of the name it is given, and only with this stack's tag.",
  },
  {
    functions: [API],
    actions: ['ses:GetEmailIdentity', 'ses:DeleteEmailIdentity', 'ses:PutEmailIdentityMailFromAttributes'],
    resource: `${SES_ARN}:identity/*`,
    tagged: true,
    reason: "The domains API reads, sets up and deletes only the identities carrying this stack's tag.",
  },
];

/** Whether a statement holds only under the domains API's tag condition. */
function isTagged(statement: Record<string, unknown>): boolean {
  const condition = JSON.stringify(statement.Condition ?? {});
  return condition.includes(`aws:ResourceTag/${API_DOMAIN_TAG}`) || condition.includes(`aws:RequestTag/${API_DOMAIN_TAG}`);
}

/** "<function> | <actions> | <resource>" for every wildcard resource in every IAM policy of the template. */
function wildcardGrants(template: Template): string[] {
  const functions = Object.values(template.findResources('AWS::Lambda::Function'));
  const holder = (roleRef: unknown): string => {
    const roleId = (roleRef as { Ref?: string }).Ref;
    const fn = functions.find((f) => JSON.stringify(f.Properties.Role) === JSON.stringify({ 'Fn::GetAtt': [roleId, 'Arn'] }));
    return fn ? (fn.Properties.Description as string) : `role ${String(roleId)}`;
  };
  const documents = [
    ...Object.values(template.findResources('AWS::IAM::Policy')).map((p) => ({ holders: asArray(p.Properties.Roles ?? []).map(holder), document: p.Properties.PolicyDocument })),
    ...Object.values(template.findResources('AWS::IAM::ManagedPolicy')).map((p) => ({ holders: asArray(p.Properties.Roles ?? []).map(holder), document: p.Properties.PolicyDocument })),
    ...Object.entries(template.findResources('AWS::IAM::Role')).flatMap(([id, role]) =>
      asArray(role.Properties.Policies ?? []).map((p: { PolicyDocument: unknown }) => ({ holders: [holder({ Ref: id })], document: p.PolicyDocument })),
    ),
  ];
  return documents.flatMap(({ holders, document }) =>
    asArray((document as { Statement: Array<Record<string, unknown>> }).Statement).flatMap((statement) =>
      asArray(statement.Resource as unknown)
        .map(render)
        .filter((resource) => resource.endsWith('*'))
        .flatMap((resource) =>
          holders.map((who) => `${who} | ${asArray(statement.Action as string | string[]).slice().sort().join(',')} | ${resource}${isTagged(statement) ? ' | tagged' : ''}`),
        ),
    ),
  );
}

function allowed(anyIdentity: boolean): string[] {
  return ALLOWED_WILDCARDS.filter((entry) => (anyIdentity ? !entry.namedIdentitiesOnly : !entry.anyIdentityOnly)).flatMap((entry) =>
    entry.functions.map((fn) => `${fn} | ${[...entry.actions].sort().join(',')} | ${entry.resource}${entry.tagged ? ' | tagged' : ''}`),
  );
}

describe('wildcard resources in IAM policies', () => {
  it('gives every allowed wildcard a reason', () => {
    for (const entry of ALLOWED_WILDCARDS) expect(entry.reason).toMatch(/\S.*\.$/);
  });

  it.each([
    ['with existing identities', { [CONTEXT.identities]: 'example.com,noreply@example.org' }, false],
    ['with a sending domain and an alarm email', { [CONTEXT.sendingDomain]: 'mail.example.com', [CONTEXT.alarmEmail]: 'ops@example.com' }, false],
    ['with the firewall and access logs off', { [CONTEXT.identities]: 'example.com', [CONTEXT.firewall]: 'false', [CONTEXT.apiAccessLogs]: 'off' }, false],
    ['with no identity at all', {}, true],
  ])('grants only the allowed wildcards, %s', (_name, context, anyIdentity) => {
    const { template } = synthOutboxFromContext(context);
    expect(wildcardGrants(template).sort()).toEqual(allowed(anyIdentity).sort());
  });
});
