import { isUuid } from '../../lambda/core/ids';
import type { SuppressionRecord } from '../../lambda/core/suppression';
import {
  addSuppression,
  batchAddSuppressions,
  batchRemoveSuppressions,
  getSuppression,
  listSuppressions,
  removeSuppression,
  type SuppressionsDeps,
} from '../../lambda/core/suppressions-api';
import { InMemorySuppressionList, tickingClock } from '../helpers/in-memory';

describe('the suppressions API use cases', () => {
  let suppressions: InMemorySuppressionList;
  let deps: SuppressionsDeps;

  beforeEach(() => {
    suppressions = new InMemorySuppressionList();
    deps = { suppressions, clock: tickingClock('2026-11-28T10:00:00.000Z') };
  });

  async function addAll(emails: string[]): Promise<string[]> {
    const ids: string[] = [];
    for (const email of emails) ids.push((await addSuppression(deps, { email })).answer.id);
    return ids;
  }

  function bounce(email: string, id: string): SuppressionRecord {
    return { id, email, origin: 'bounce', sourceId: 'ses-1', reason: 'Permanent General', createdAt: '2026-11-01T00:00:00.000Z' };
  }

  describe('addSuppression', () => {
    it('stores the lower-cased address of a bare or named mailbox as a manual suppression', async () => {
      const added = await addSuppression(deps, { email: 'Ada Lovelace <Ada@Example.COM>' });
      expect(added.created).toBe(true);
      expect(added.answer).toEqual({ object: 'suppression', id: expect.any(String) });
      expect(isUuid(added.answer.id)).toBe(true);
      expect(suppressions.records.get('ada@example.com')).toEqual({
        id: added.answer.id,
        email: 'ada@example.com',
        origin: 'manual',
        sourceId: null,
        createdAt: '2026-11-28T10:00:00.000Z',
      });
    });

    it('answers the existing id when the address is already listed, whatever its origin', async () => {
      await suppressions.add(bounce('grace@example.com', '019ac9a4-0000-7000-8000-000000000001'));
      const again = await addSuppression(deps, { email: 'GRACE@example.com' });
      expect(again).toEqual({ created: false, answer: { object: 'suppression', id: '019ac9a4-0000-7000-8000-000000000001' } });
      expect(suppressions.records.get('grace@example.com')!.origin).toBe('bounce');
    });

    it.each([
      [{}, 'missing_field', /`email`/],
      [{ email: 42 }, 'validation', /must be a string/],
      [{ email: 'not an address' }, 'validation', /not a valid email address/],
      [{ email: 'bounce@simulator.amazonses.com' }, 'validation', /mailbox simulator.*never suppressed/],
      [{ email: 'Sim <Complaint@Simulator.AmazonSES.com>' }, 'validation', /never suppressed/],
    ])('refuses %j as %s and stores nothing', async (body, kind, message) => {
      await expect(addSuppression(deps, body)).rejects.toMatchObject({ kind, message: expect.stringMatching(message) });
      expect(suppressions.records.size).toBe(0);
    });
  });

  describe('batchAddSuppressions', () => {
    it('answers one id per entry in input order, repeating the id of a repeated or already listed address', async () => {
      const [listed] = await addAll(['b@example.com']);
      const { data } = await batchAddSuppressions(deps, { emails: ['a@example.com', 'B@example.com', 'c@example.com', 'A@EXAMPLE.com'] });
      expect(data).toHaveLength(4);
      expect(data.every((entry) => entry.object === 'suppression' && isUuid(entry.id))).toBe(true);
      expect(data[1]!.id).toBe(listed);
      expect(data[3]!.id).toBe(data[0]!.id);
      expect(new Set(data.map((entry) => entry.id)).size).toBe(3);
      expect([...suppressions.records.keys()].sort()).toEqual(['a@example.com', 'b@example.com', 'c@example.com']);
    });

    it('refuses the whole batch naming every bad entry, and adds nothing', async () => {
      const refusal = batchAddSuppressions(deps, { emails: ['ok@example.com', 'nope', 7, 'success@simulator.amazonses.com'] });
      await expect(refusal).rejects.toMatchObject({ kind: 'validation' });
      const { message } = (await refusal.catch((error: Error) => error)) as Error;
      expect(message).toMatch(/`emails\[1\]` "nope" is not a valid email address/);
      expect(message).toMatch(/`emails\[2\]` 7 must be a string/);
      expect(message).toMatch(/`emails\[3\]` "success@simulator\.amazonses\.com" is an Amazon SES mailbox simulator address/);
      expect(message).not.toMatch(/emails\[0\]/);
      expect(suppressions.records.size).toBe(0);
    });

    it.each([
      ['no `emails`', 'missing_field', {}],
      ['a string', 'validation', { emails: 'a@example.com' }],
      ['an empty list', 'validation', { emails: [] }],
      ['101 addresses', 'validation', { emails: Array.from({ length: 101 }, (_, i) => `r${i}@example.com`) }],
    ])('refuses %s as %s', async (_case, kind, body) => {
      await expect(batchAddSuppressions(deps, body)).rejects.toMatchObject({ kind });
    });

    it('takes 100 addresses at once', async () => {
      const { data } = await batchAddSuppressions(deps, { emails: Array.from({ length: 100 }, (_, i) => `r${i}@example.com`) });
      expect(data).toHaveLength(100);
      expect(suppressions.records.size).toBe(100);
    });
  });

  describe('getSuppression', () => {
    it('finds a suppression by id and by address, case-insensitively, with Punycode for a Unicode domain', async () => {
      const [id] = await addAll(['Ada@Bücher.example']);
      const expected = {
        object: 'suppression',
        id,
        email: 'ada@xn--bcher-kva.example',
        origin: 'manual',
        source_id: null,
        created_at: '2026-11-28T10:00:00.000Z',
      };
      expect(await getSuppression(deps, id!)).toEqual(expected);
      expect(await getSuppression(deps, id!.toUpperCase())).toEqual(expected);
      expect(await getSuppression(deps, 'ADA@BÜCHER.example')).toEqual(expected);
    });

    it.each(['nobody@example.com', '019ac9a4-0000-7000-8000-000000000000', 'not-an-id', 'not an address@'])(
      'answers not_found for %j',
      async (idOrEmail) => {
        await addAll(['someone@example.com']);
        await expect(getSuppression(deps, idOrEmail)).rejects.toMatchObject({ kind: 'not_found' });
      },
    );
  });

  describe('removeSuppression', () => {
    it('removes by address or by id and answers the record id, then not_found', async () => {
      const [first, second] = await addAll(['one@example.com', 'two@example.com']);
      expect(await removeSuppression(deps, 'ONE@example.com')).toEqual({ object: 'suppression', id: first, deleted: true });
      expect(await removeSuppression(deps, second!)).toEqual({ object: 'suppression', id: second, deleted: true });
      expect(suppressions.records.size).toBe(0);
      await expect(removeSuppression(deps, 'one@example.com')).rejects.toMatchObject({ kind: 'not_found' });
      await expect(removeSuppression(deps, second!)).rejects.toMatchObject({ kind: 'not_found' });
    });
  });

  describe('batchRemoveSuppressions', () => {
    it('removes by addresses and answers each entry in order, not-listed ones as not deleted', async () => {
      const [a, b] = await addAll(['a@example.com', 'b@example.com', 'keep@example.com']);
      const { data } = await batchRemoveSuppressions(deps, { emails: ['B@example.com', 'missing@example.com', 'a@example.com'] });
      expect(data).toEqual([
        { object: 'suppression', id: b, deleted: true },
        { object: 'suppression', id: 'missing@example.com', deleted: false },
        { object: 'suppression', id: a, deleted: true },
      ]);
      expect([...suppressions.records.keys()]).toEqual(['keep@example.com']);
    });

    it('removes by ids and answers each entry in order', async () => {
      const [a, b] = await addAll(['a@example.com', 'b@example.com']);
      const unknown = '019ac9a4-0000-7000-8000-000000000000';
      const { data } = await batchRemoveSuppressions(deps, { ids: [a, unknown, b, 'junk'] });
      expect(data).toEqual([
        { object: 'suppression', id: a, deleted: true },
        { object: 'suppression', id: unknown, deleted: false },
        { object: 'suppression', id: b, deleted: true },
        { object: 'suppression', id: 'junk', deleted: false },
      ]);
      expect(suppressions.records.size).toBe(0);
    });

    it.each([
      [{}, 'missing_field', /`emails` or as `ids`/],
      [{ emails: ['a@example.com'], ids: ['x'] }, 'validation', /not both/],
      [{ ids: [] }, 'validation', /1 to 100/],
      [{ emails: ['a@example.com', '', 3] }, 'validation', /`emails\[1\]` "".*`emails\[2\]` 3/],
    ])('refuses %j as %s and removes nothing', async (body, kind, message) => {
      await addAll(['a@example.com']);
      await expect(batchRemoveSuppressions(deps, body)).rejects.toMatchObject({ kind, message: expect.stringMatching(message) });
      expect(suppressions.records.size).toBe(1);
    });
  });

  describe('listSuppressions', () => {
    it('lists newest first, 20 by default, in the SDK list shape without `object` per entry', async () => {
      const ids = await addAll(Array.from({ length: 25 }, (_, i) => `r${i}@example.com`));
      const newestFirst = [...ids].reverse();
      const page = await listSuppressions(deps, {});
      expect(page.object).toBe('list');
      expect(page.has_more).toBe(true);
      expect(page.data.map((entry) => entry.id)).toEqual(newestFirst.slice(0, 20));
      expect(page.data[0]).toEqual({ id: newestFirst[0], email: 'r24@example.com', origin: 'manual', source_id: null, created_at: '2026-11-28T10:00:00.024Z' });
    });

    it('pages forward with `after` until has_more is false', async () => {
      const ids = await addAll(Array.from({ length: 7 }, (_, i) => `r${i}@example.com`));
      const seen: string[] = [];
      let after: string | undefined;
      for (let pages = 0; pages < 10; pages++) {
        const page = await listSuppressions(deps, { limit: '3', ...(after ? { after } : {}) });
        seen.push(...page.data.map((entry) => entry.id));
        if (!page.has_more) break;
        after = page.data.at(-1)!.id;
      }
      expect(seen).toEqual([...ids].reverse());
    });

    it('filters by origin', async () => {
      await suppressions.add(bounce('bounced@example.com', '019ac9a4-0000-7000-8000-000000000001'));
      await addAll(['manual@example.com']);
      const bounced = await listSuppressions(deps, { origin: 'bounce' });
      expect(bounced).toEqual({
        object: 'list',
        has_more: false,
        data: [{ id: '019ac9a4-0000-7000-8000-000000000001', email: 'bounced@example.com', origin: 'bounce', source_id: 'ses-1', created_at: '2026-11-01T00:00:00.000Z' }],
      });
      expect((await listSuppressions(deps, { origin: 'complaint' })).data).toEqual([]);
    });

    it.each([
      [{ limit: '0' }, /`limit` must be a whole number from 1 to 100, not "0"/],
      [{ limit: '101' }, /`limit`/],
      [{ limit: '1.5' }, /`limit`/],
      [{ limit: 'ten' }, /`limit`/],
      [{ limit: '' }, /`limit`/],
      [{ origin: 'spam' }, /`origin` must be one of bounce, complaint, manual, not "spam"/],
      [{ after: 'r1@example.com' }, /`after` must be the id of a suppression/],
      [{ before: '019ac9a4-0000-7000-8000-000000000000' }, /`before` is not supported.*`after`/],
    ])('refuses the query %j as validation', async (query, message) => {
      await expect(listSuppressions(deps, query)).rejects.toMatchObject({ kind: 'validation', message: expect.stringMatching(message) });
    });

    it('names every bad parameter in one refusal', async () => {
      const refusal = listSuppressions(deps, { limit: '500', origin: 'other' });
      await expect(refusal).rejects.toMatchObject({ kind: 'validation', message: expect.stringMatching(/`limit`.*; `origin`/) });
    });
  });
});
