import { CONTEXT, outboxPropsFromContext } from '../../lib/context';
import { testApp } from './synth';

describe('outboxPropsFromContext', () => {
  it('needs no context at all', () => {
    expect(outboxPropsFromContext(testApp())).toEqual({
      sendingDomain: undefined,
      identities: [],
      retentionDays: 90,
      alarmEmail: undefined,
    });
  });

  it('reads every setting, as strings from the command line', () => {
    const app = testApp({
      [CONTEXT.sendingDomain]: 'Mail.Example.com',
      [CONTEXT.identities]: ' example.org , noreply@example.net ,',
      [CONTEXT.retentionDays]: '30',
      [CONTEXT.alarmEmail]: 'ops@example.com',
    });
    expect(outboxPropsFromContext(app)).toEqual({
      sendingDomain: 'mail.example.com',
      identities: ['example.org', 'noreply@example.net'],
      retentionDays: 30,
      alarmEmail: 'ops@example.com',
    });
  });

  it('accepts the retention as a number from cdk.json', () => {
    expect(outboxPropsFromContext(testApp({ [CONTEXT.retentionDays]: 7 })).retentionDays).toBe(7);
  });

  it('reports every invalid setting at once', () => {
    const app = testApp({
      [CONTEXT.sendingDomain]: 'not a domain',
      [CONTEXT.identities]: 'example.org,*',
      [CONTEXT.retentionDays]: '0.5',
      [CONTEXT.alarmEmail]: 'ops',
    });
    expect(() => outboxPropsFromContext(app)).toThrow(
      new RegExp(
        [CONTEXT.sendingDomain, CONTEXT.identities, CONTEXT.retentionDays, CONTEXT.alarmEmail]
          .map((key) => `- ${key} `)
          .join('[^]*'),
      ),
    );
  });
});
