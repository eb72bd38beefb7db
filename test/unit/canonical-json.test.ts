import { canonicalJson, fingerprintOf } from '../../lambda/core/idempotency';

describe('canonicalJson and the Idempotency-Key fingerprint', () => {
  it('writes sorted keys, leaves out undefined members and writes JSON scalars as JSON does', () => {
    expect(canonicalJson({ b: [1, { d: 'x', c: null }], a: true, u: undefined })).toBe('{"a":true,"b":[1,{"c":null,"d":"x"}]}');
    expect(canonicalJson([])).toBe('[]');
    expect(canonicalJson({})).toBe('{}');
    expect(canonicalJson('é"\n')).toBe('"é\\"\\n"');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('keeps the fingerprints of records stored before it became iterative', () => {
    // Computed with the recursive implementation: a retry within 24 hours of a deploy still replays.
    const body = { to: ['b@example.com', 'a@example.com'], from: 'Acme <hello@acme.test>', subject: 'Grüße', tags: [{ value: 'v', name: 'n' }], n: 1.5, ok: true, none: null };
    expect(fingerprintOf(body)).toBe('86dbaad1d33ae3cd35568701902d2dba910d9bd7b8cc52fc2429004908299dd1');
    expect(fingerprintOf('not json {')).toBe('31e29635ffc343660e1f9a4aab8c3a668896dc7175f044683a15409fc6029269');
  });

  it('writes a value nested 100,000 levels deep without exhausting the stack', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = i % 2 === 0 ? [deep] : { k: deep };
    const text = canonicalJson(deep);
    expect(text.length).toBe(1 + 50_000 * '[]'.length + 50_000 * '{"k":}'.length);
    expect(fingerprintOf(deep)).toMatch(/^[0-9a-f]{64}$/);
  });
});
