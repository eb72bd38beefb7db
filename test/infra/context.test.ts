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
    });
  });

  it('reads every setting, as strings from the command line', () => {
    const app = testApp({
      [CONTEXT.sendingDomain]: 'Mail.Example.com',
      [CONTEXT.identities]: ' example.org , noreply@example.net ,',
      [CONTEXT.retentionDays]: '30',
      [CONTEXT.alarmEmail]: 'ops@example.com',
      [CONTEXT.softBounceLimit]: '5',
      [CONTEXT.softBounceWindowDays]: ' 14 ',
    });
    expect(outboxPropsFromContext(app)).toEqual({
      sendingDomain: 'mail.example.com',
      identities: ['example.org', 'noreply@example.net'],
      retentionDays: 30,
      alarmEmail: 'ops@example.com',
      softBounceLimit: 5,
      softBounceWindowDays: 14,
    });
  });

  it('accepts the numbers as numbers from cdk.json', () => {
    const app = testApp({ [CONTEXT.retentionDays]: 7, [CONTEXT.softBounceLimit]: 2, [CONTEXT.softBounceWindowDays]: 3 });
    expect(outboxPropsFromContext(app)).toMatchObject({ retentionDays: 7, softBounceLimit: 2, softBounceWindowDays: 3 });
  });

  it.each([['0'], ['-1'], ['2.5'], ['three'], [0]])('refuses %p as a soft-bounce setting', (value) => {
    for (const key of [CONTEXT.softBounceLimit, CONTEXT.softBounceWindowDays]) {
      expect(() => outboxPropsFromContext(testApp({ [key]: value }))).toThrow(`- ${key} must be a whole number`);
    }
  });

  it('reports every invalid setting at once', () => {
    const app = testApp({
      [CONTEXT.sendingDomain]: 'not a domain',
      [CONTEXT.identities]: 'example.org,*',
      [CONTEXT.retentionDays]: '0.5',
      [CONTEXT.alarmEmail]: 'ops',
      [CONTEXT.softBounceLimit]: '0',
      [CONTEXT.softBounceWindowDays]: '1.5',
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
        ]
          .map((key) => `- ${key} `)
          .join('[^]*'),
      ),
    );
  });
});
