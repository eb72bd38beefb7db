import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { OutboxStack } from '../../lib/outbox-stack';
import { DEFAULT_GUARD_THRESHOLDS } from '../../lambda/shared/guard-thresholds';
import { CONTEXT, outboxPropsFromContext } from '../../lib/context';
import { testApp } from './synth';

describe('outboxPropsFromContext', () => {
  it('needs no context at all', () => {
    expect(outboxPropsFromContext(testApp())).toEqual({
      sendingDomain: undefined,
      identities: [],
      retentionDays: 90,
      alarmEmail: undefined,
      softBounceLimit: 3,
      softBounceWindowDays: 7,
      maxSendRate: undefined,
      clamd: undefined,
      apiAccessLogs: 'on',
      queueConcurrency: 2,
      guardThresholds: DEFAULT_GUARD_THRESHOLDS,
      smtpUser: false,
    });
  });

  it('reads every setting, as strings from the command line', () => {
    const app = testApp({
      [CONTEXT.sendingDomain]: 'Mail.Example.com',
      [CONTEXT.mailFromSubdomain]: ' Returns ',
      [CONTEXT.hostedZoneId]: 'Z0123456789ABCDEFGHIJ',
      [CONTEXT.hostedZoneName]: 'example.com',
      [CONTEXT.identities]: ' example.org , noreply@example.net ,',
      [CONTEXT.retentionDays]: '30',
      [CONTEXT.alarmEmail]: 'ops@example.com',
      [CONTEXT.softBounceLimit]: '5',
      [CONTEXT.softBounceWindowDays]: ' 14 ',
      [CONTEXT.maxSendRate]: '12.5',
      [CONTEXT.clamd]: ' clamav.internal:3310 ',
      [CONTEXT.apiAccessLogs]: 'existing-role',
      [CONTEXT.firewall]: 'false',
      [CONTEXT.queueConcurrency]: '10',
      [CONTEXT.warnBounceRate]: '0.01',
      [CONTEXT.warnComplaintRate]: ' 0.0002 ',
      [CONTEXT.pauseBounceRate]: '0.03',
      [CONTEXT.pauseComplaintRate]: '0.0006',
      [CONTEXT.guardMinimumSends]: '250',
      [CONTEXT.smtpUser]: 'TRUE',
      [CONTEXT.smtpRotation]: ' 2026-12 ',
    });
    expect(outboxPropsFromContext(app)).toEqual({
      sendingDomain: 'mail.example.com',
      mailFromSubdomain: 'returns',
      hostedZone: { zoneId: 'Z0123456789ABCDEFGHIJ', zoneName: 'example.com' },
      identities: ['example.org', 'noreply@example.net'],
      retentionDays: 30,
      alarmEmail: 'ops@example.com',
      softBounceLimit: 5,
      softBounceWindowDays: 14,
      maxSendRate: 12.5,
      clamd: 'clamav.internal:3310',
      apiAccessLogs: 'existing-role',
      contextWarnings: [expect.stringContaining(`${CONTEXT.firewall} has no effect`)],
      queueConcurrency: 10,
      guardThresholds: { warnBounceRate: 0.01, warnComplaintRate: 0.0002, pauseBounceRate: 0.03, pauseComplaintRate: 0.0006, minimumSends: 250 },
      smtpUser: true,
      smtpRotation: '2026-12',
    });
  });

  it.each([['on'], ['off'], ['create-role'], ['existing-role']])('accepts %p for the API access logs', (value) => {
    expect(outboxPropsFromContext(testApp({ [CONTEXT.apiAccessLogs]: value })).apiAccessLogs).toBe(value);
  });

  it.each([['none'], ['CreateRole'], [true]])('refuses %p for the API access logs, naming the choices', (value) => {
    expect(() => outboxPropsFromContext(testApp({ [CONTEXT.apiAccessLogs]: value }))).toThrow(
      `- ${CONTEXT.apiAccessLogs} must be one of on, off, create-role, existing-role`,
    );
  });

  it.each([[false], [true], ['FALSE'], [' true ']])('reads the firewall flag %p as a setting without effect, and says so', (value) => {
    const props = outboxPropsFromContext(testApp({ [CONTEXT.firewall]: value }));
    expect(props).not.toHaveProperty('firewall');
    expect(props.contextWarnings).toEqual([expect.stringMatching(/outbox:firewall has no effect: the API is an HTTP API, which takes no AWS WAF web ACL/)]);
  });

  it('puts each setting without effect on the stack as a synth warning', () => {
    const app = testApp({ [CONTEXT.firewall]: 'true' });
    const stack = new OutboxStack(app, 'Warned', outboxPropsFromContext(app));
    const warnings = Annotations.fromStack(stack).findWarning('*', Match.stringLikeRegexp('outbox:firewall has no effect'));
    expect(warnings).toHaveLength(1);
  });

  it.each([['no'], ['0'], ['off']])('refuses %p as the firewall flag', (value) => {
    expect(() => outboxPropsFromContext(testApp({ [CONTEXT.firewall]: value }))).toThrow(`- ${CONTEXT.firewall} must be true or false`);
  });

  it.each([
    [{ [CONTEXT.sendingDomain]: 'mail.example.com' }],
    [{ [CONTEXT.identities]: 'noreply@example.org' }],
  ])('reads the SMTP user flag as a boolean from cdk.json, with a named identity (%p)', (identity) => {
    expect(outboxPropsFromContext(testApp({ ...identity, [CONTEXT.smtpUser]: true }))).toMatchObject({ smtpUser: true });
    expect(outboxPropsFromContext(testApp({ ...identity, [CONTEXT.smtpUser]: false })).smtpUser).toBe(false);
  });

  it.each([['yes'], ['1'], ['on']])('refuses %p as the SMTP user flag', (value) => {
    expect(() => outboxPropsFromContext(testApp({ [CONTEXT.identities]: 'example.com', [CONTEXT.smtpUser]: value }))).toThrow(
      `- ${CONTEXT.smtpUser} must be true or false`,
    );
  });

  it('refuses the SMTP user without a named identity: it would send from no identity at all', () => {
    expect(() => outboxPropsFromContext(testApp({ [CONTEXT.smtpUser]: 'true' }))).toThrow(
      `- ${CONTEXT.smtpUser} needs ${CONTEXT.sendingDomain} or ${CONTEXT.identities}`,
    );
  });

  it.each([['two words'], ['x'.repeat(65)], ['2026/12']])('refuses %p as the SMTP rotation label', (value) => {
    const app = testApp({ [CONTEXT.identities]: 'example.com', [CONTEXT.smtpUser]: 'true', [CONTEXT.smtpRotation]: value });
    expect(() => outboxPropsFromContext(app)).toThrow(`- ${CONTEXT.smtpRotation} must be a label of up to 64`);
  });

  it('refuses an SMTP rotation label without the SMTP user', () => {
    expect(() => outboxPropsFromContext(testApp({ [CONTEXT.identities]: 'example.com', [CONTEXT.smtpRotation]: '2' }))).toThrow(
      `- ${CONTEXT.smtpRotation} is read only with ${CONTEXT.smtpUser}=true`,
    );
  });

  it.each([[2], ['1000'], [50]])('accepts %p as the queue concurrency', (value) => {
    expect(outboxPropsFromContext(testApp({ [CONTEXT.queueConcurrency]: value })).queueConcurrency).toBe(Number(value));
  });

  it.each([['1'], [0], ['1001'], ['2.5'], ['many']])('refuses %p as the queue concurrency: SQS takes 2 to 1000', (value) => {
    expect(() => outboxPropsFromContext(testApp({ [CONTEXT.queueConcurrency]: value }))).toThrow(
      `- ${CONTEXT.queueConcurrency} must be a whole number of instances from 2 to 1000`,
    );
  });

  it.each([['0'], ['-1'], ['fast'], ['Infinity'], [0]])('refuses %p as a send rate', (value) => {
    expect(() => outboxPropsFromContext(testApp({ [CONTEXT.maxSendRate]: value }))).toThrow(`- ${CONTEXT.maxSendRate} must be a positive number`);
  });

  it('accepts a send rate as a number from cdk.json', () => {
    expect(outboxPropsFromContext(testApp({ [CONTEXT.maxSendRate]: 1 })).maxSendRate).toBe(1);
  });

  it.each([['10.0.0.5:3310'], ['[fd00::5]:3310'], ['clamd:1']])('accepts %p as a ClamAV daemon', (value) => {
    expect(outboxPropsFromContext(testApp({ [CONTEXT.clamd]: value })).clamd).toBe(value);
  });

  it.each([['clamav.internal'], ['/var/run/clamav/clamd.ctl'], ['clamav.internal:0'], ['clamav.internal:70000'], ['tcp://clamav:3310']])(
    'refuses %p as a ClamAV daemon: Lambda needs a host:port',
    (value) => {
      expect(() => outboxPropsFromContext(testApp({ [CONTEXT.clamd]: value }))).toThrow(`- ${CONTEXT.clamd} must be the host:port`);
    },
  );

  it('accepts the numbers as numbers from cdk.json', () => {
    const app = testApp({ [CONTEXT.retentionDays]: 7, [CONTEXT.softBounceLimit]: 2, [CONTEXT.softBounceWindowDays]: 3 });
    expect(outboxPropsFromContext(app)).toMatchObject({ retentionDays: 7, softBounceLimit: 2, softBounceWindowDays: 3 });
  });

  it.each([['0'], ['-1'], ['2.5'], ['three'], [0]])('refuses %p as a soft-bounce setting', (value) => {
    for (const key of [CONTEXT.softBounceLimit, CONTEXT.softBounceWindowDays]) {
      expect(() => outboxPropsFromContext(testApp({ [key]: value }))).toThrow(`- ${key} must be a whole number`);
    }
  });

  it('reads the guard thresholds as numbers from cdk.json, each unset one at its default', () => {
    const app = testApp({ [CONTEXT.pauseBounceRate]: 0.05, [CONTEXT.guardMinimumSends]: 1 });
    expect(outboxPropsFromContext(app).guardThresholds).toEqual({ ...DEFAULT_GUARD_THRESHOLDS, pauseBounceRate: 0.05, minimumSends: 1 });
  });

  it.each([['0'], ['1'], ['-0.01'], ['2.5%'], ['often'], [0], [1.5]])('refuses %p as a guard rate: a fraction above 0 and below 1', (value) => {
    for (const key of [CONTEXT.warnBounceRate, CONTEXT.warnComplaintRate, CONTEXT.pauseBounceRate, CONTEXT.pauseComplaintRate]) {
      expect(() => outboxPropsFromContext(testApp({ [key]: value }))).toThrow(`- ${key} must be a fraction above 0 and below 1`);
    }
  });

  it.each([['0'], ['2.5'], ['many'], ['1000001']])('refuses %p as the guard\'s minimum sends', (value) => {
    expect(() => outboxPropsFromContext(testApp({ [CONTEXT.guardMinimumSends]: value }))).toThrow(`- ${CONTEXT.guardMinimumSends} must be a whole number of sends`);
  });

  it('refuses a warn threshold at or above its pause threshold, for each rate, naming both keys', () => {
    const app = testApp({ [CONTEXT.warnBounceRate]: '0.04', [CONTEXT.warnComplaintRate]: '0.001' });
    expect(() => outboxPropsFromContext(app)).toThrow(
      new RegExp(
        `- ${CONTEXT.warnBounceRate} \\(0\\.04\\) must be below ${CONTEXT.pauseBounceRate} \\(0\\.04\\)[^]*- ${CONTEXT.warnComplaintRate} \\(0\\.001\\) must be below ${CONTEXT.pauseComplaintRate} \\(0\\.0008\\)`,
      ),
    );
  });

  it('reports every invalid setting at once', () => {
    const app = testApp({
      [CONTEXT.sendingDomain]: 'not a domain',
      [CONTEXT.identities]: 'example.org,*',
      [CONTEXT.retentionDays]: '0.5',
      [CONTEXT.alarmEmail]: 'ops',
      [CONTEXT.softBounceLimit]: '0',
      [CONTEXT.softBounceWindowDays]: '1.5',
      [CONTEXT.maxSendRate]: '-3',
      [CONTEXT.clamd]: 'nowhere',
      [CONTEXT.apiAccessLogs]: 'sometimes',
      [CONTEXT.firewall]: 'maybe',
      [CONTEXT.queueConcurrency]: '1',
      [CONTEXT.warnBounceRate]: 'high',
      [CONTEXT.warnComplaintRate]: '0.5',
      [CONTEXT.pauseBounceRate]: '1',
      [CONTEXT.pauseComplaintRate]: '0.1',
      [CONTEXT.guardMinimumSends]: '0',
    });
    expect(() => outboxPropsFromContext(app)).toThrow(
      new RegExp(
        [
          CONTEXT.sendingDomain,
          CONTEXT.identities,
          CONTEXT.retentionDays,
          CONTEXT.alarmEmail,
          CONTEXT.softBounceLimit,
          CONTEXT.softBounceWindowDays,
          CONTEXT.maxSendRate,
          CONTEXT.clamd,
          CONTEXT.apiAccessLogs,
          CONTEXT.firewall,
          CONTEXT.queueConcurrency,
          CONTEXT.warnBounceRate,
          CONTEXT.pauseBounceRate,
          CONTEXT.guardMinimumSends,
          CONTEXT.warnComplaintRate,
        ]
          .map((key) => `- ${key} `)
          .join('[^]*'),
      ),
    );
  });
});
