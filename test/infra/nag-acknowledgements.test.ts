import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { CONTEXT } from '../../lib/context';
import { acknowledgements, synthOutboxFromContext } from './synth';

/** cdk-nag's findings, with the path of the resource each is on. */
function findings(context: Record<string, unknown>): Array<{ rule: string; path: string }> {
  const { app, stack } = synthOutboxFromContext(context);
  return new AwsSolutionsChecks(app).validateScope(stack).violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({ rule: violation.ruleName, path: resource.constructPath ?? String(resource.resourceLogicalId) })),
  );
}

/** The stack's acknowledgements as recorded, their ids without the `Annotation::` prefix. */
function acknowledged(context: Record<string, unknown>): Array<{ rule: string; path: string }> {
  const { stack } = synthOutboxFromContext(context);
  return acknowledgements(stack).map(({ id, path }) => ({ rule: id.replace(/^Annotation::/, ''), path }));
}

const CONFIGURATIONS: Array<[string, Record<string, unknown>]> = [
  ['no context', {}],
  ['a sending domain', { [CONTEXT.sendingDomain]: 'mail.example.com' }],
  ['the firewall and access logs off, with the SMTP user', { [CONTEXT.identities]: 'example.com', [CONTEXT.firewall]: 'false', [CONTEXT.apiAccessLogs]: 'off', [CONTEXT.smtpUser]: 'true' }],
  ['an existing API Gateway role', { [CONTEXT.apiAccessLogs]: 'existing-role' }],
];

describe('cdk-nag acknowledgements, compared with the findings cdk-nag reports when acknowledging is switched off', () => {
  it.each(CONFIGURATIONS)('acknowledges each finding exactly once, on the resource it is about or its construct, with %s', (_name, context) => {
    const acks = acknowledged(context);
    const spy = jest.spyOn(Validations.prototype, 'acknowledge').mockImplementation(() => undefined);
    let raw: Array<{ rule: string; path: string }>;
    try {
      raw = findings(context);
    } finally {
      spy.mockRestore();
    }
    expect(raw.length).toBeGreaterThan(0);
    // Each finding: one acknowledgement with its full id, on the resource or the construct owning it.
    for (const finding of raw) {
      const covering = acks.filter((ack) => ack.rule === finding.rule && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`)));
      const narrowest = [finding.path, finding.path.replace(/\/Resource$/, '')];
      expect({ finding, covering: covering.map((ack) => narrowest.includes(ack.path)) }).toEqual({ finding, covering: [true] });
    }
    // Each acknowledgement explains a finding that is there.
    for (const ack of acks) {
      expect({ ack, found: raw.some((finding) => finding.rule === ack.rule && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`))) }).toEqual({ ack, found: true });
    }
  });
});
