import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { CONTEXT } from '../../lib/context';
import { synthOutboxFromContext } from './synth';

/** The configurations whose templates are linted: each switch that changes which resources exist. */
const CONFIGURATIONS: Record<string, Record<string, unknown>> = {
  'no-context': {},
  'sending-domain': { [CONTEXT.sendingDomain]: 'mail.example.com' },
  'hosted-zone': {
    [CONTEXT.sendingDomain]: 'mail.example.com',
    [CONTEXT.hostedZoneId]: 'Z0123456789ABCDEFGHIJ',
    [CONTEXT.hostedZoneName]: 'example.com',
    [CONTEXT.alarmEmail]: 'ops@example.com',
  },
  // With the SMTP user: its policy names a domain and an address identity.
  identities: { [CONTEXT.identities]: 'example.com,noreply@example.org', [CONTEXT.smtpUser]: 'true' },
  'alarm-email': { [CONTEXT.identities]: 'example.com', [CONTEXT.alarmEmail]: 'ops@example.com' },
  'firewall-off': { [CONTEXT.identities]: 'example.com', [CONTEXT.firewall]: 'false' },
  'access-logs-off': { [CONTEXT.identities]: 'example.com', [CONTEXT.apiAccessLogs]: 'off' },
  'existing-role': { [CONTEXT.identities]: 'example.com', [CONTEXT.apiAccessLogs]: 'existing-role', [CONTEXT.queueConcurrency]: '10' },
};

/** Regions the templates are checked against (resource types and their properties there). */
const REGIONS = ['us-east-1', 'eu-west-1'];

interface Match {
  readonly Filename: string;
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Message: string;
  readonly Location: { readonly Path: ReadonlyArray<string | number>; readonly Start: { readonly LineNumber: number } };
  readonly Rule: { readonly Id: string };
}

type Resources = Record<string, { Type: string; Properties?: Record<string, unknown> }>;

/** A DependsOn `W3005` calls obsolete: the dependent and the resource it names. */
function obsoleteDependency(match: Match, resources: Resources): { dependent: Resources[string]; target: string } | undefined {
  const dependent = resources[String(match.Location.Path[1])];
  const target = /^'([^']+)' dependency already enforced/.exec(match.Message)?.[1];
  return dependent && target ? { dependent, target } : undefined;
}

const getAtt = (target: string): string => JSON.stringify({ 'Fn::GetAtt': [target, 'Arn'] });

/**
 * Warnings left as they are, each for a reason. Anything else cfn-lint warns about fails the test,
 * like any error: fix it, or add it here with its reason and a check as narrow as the case.
 */
const IGNORED_WARNINGS: ReadonlyArray<{ rule: string; reason: string; applies: (match: Match, resources: Resources) => boolean }> = [
  {
    rule: 'W3005',
    reason:
      "CDK's lambda.Function adds a DependsOn on its execution role construct so that the role's policies exist before the function; for the role itself that duplicates the function's GetAtt of the role's ARN, harmlessly.",
    applies: (match, resources) => {
      const found = obsoleteDependency(match, resources);
      return found?.dependent.Type === 'AWS::Lambda::Function' && JSON.stringify(found.dependent.Properties?.Role) === getAtt(found.target);
    },
  },
  {
    rule: 'W3005',
    reason:
      'A custom resource depends on its handler construct as a whole so that the handler may act (its policies exist) before CloudFormation invokes it; for the function itself that duplicates the ServiceToken GetAtt, harmlessly.',
    applies: (match, resources) => {
      const found = obsoleteDependency(match, resources);
      return (
        found !== undefined &&
        (found.dependent.Type.startsWith('Custom::') || found.dependent.Type === 'AWS::CloudFormation::CustomResource') &&
        JSON.stringify(found.dependent.Properties?.ServiceToken) === getAtt(found.target)
      );
    },
  },
];

/** `file:line [rule] message` lines, as cfn-lint's own output would read. */
function describe_(matches: readonly Match[]): string {
  return matches.map((m) => `${path.basename(m.Filename)}:${m.Location.Start.LineNumber} [${m.Rule.Id}] ${m.Message} (at ${m.Location.Path.join('/')})`).join('\n');
}

describe('cfn-lint', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'outbox-cfn-lint-'));
  const resourcesOf = new Map<string, Resources>();
  let matches: Match[] = [];

  beforeAll(() => {
    const version = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' });
    if (version.error || version.status !== 0) {
      throw new Error(
        `cfn-lint is needed to lint the CloudFormation templates and was not found on PATH (${version.error?.message ?? version.stderr}). ` +
          'Install it with `pip install cfn-lint` (or `pipx install cfn-lint`), then run the tests again.',
      );
    }
    const files = Object.entries(CONFIGURATIONS).map(([name, context]) => {
      const template = synthOutboxFromContext(context).template.toJSON();
      const file = path.join(folder, `${name}.template.json`);
      writeFileSync(file, JSON.stringify(template, null, 1));
      resourcesOf.set(file, template.Resources as Resources);
      return file;
    });
    // One process for every template; it exits non-zero when it finds anything, so the JSON is read either way.
    const run = spawnSync('cfn-lint', ['--format', 'json', '--regions', ...REGIONS, '--', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    try {
      matches = JSON.parse(run.stdout) as Match[];
    } catch {
      throw new Error(`cfn-lint did not answer in JSON (exit ${run.status}):\n${run.stdout}\n${run.stderr}`);
    }
  }, 120_000);
  afterAll(() => rmSync(folder, { recursive: true, force: true }));

  it('lints a template per configuration', () => {
    expect(resourcesOf.size).toBe(Object.keys(CONFIGURATIONS).length);
  });

  it('finds no error in any template', () => {
    const errors = matches.filter((m) => m.Level === 'Error');
    if (errors.length > 0) throw new Error(`cfn-lint found ${errors.length} error(s):\n${describe_(errors)}`);
  });

  it('finds no warning but the ones ignored for a reason', () => {
    const warnings = matches.filter((m) => m.Level === 'Warning');
    const unexplained = warnings.filter((m) => !IGNORED_WARNINGS.some((ignored) => ignored.rule === m.Rule.Id && ignored.applies(m, resourcesOf.get(m.Filename) ?? {})));
    if (unexplained.length > 0) throw new Error(`cfn-lint warned ${unexplained.length} time(s) with no reason to ignore it:\n${describe_(unexplained)}`);
    for (const ignored of IGNORED_WARNINGS) expect(ignored.reason).toMatch(/\S.*\.$/);
  });
});
