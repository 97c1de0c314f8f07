import type { ExperimentView } from '../../../../libs/store/src';
import fc from 'fast-check';
import { likeMatcher, parseExperimentFilter, searchExperiments } from './experiment-search';

const experiment = (experimentId: string, name: string, createdAt: number): ExperimentView => ({
  experimentId,
  name,
  createdAt,
  workspace: 'w',
  archived: false,
  rawPointsMaxAgeDays: null,
  tags: {},
});
const all = [
  experiment('0', 'Default', 1),
  experiment('7', 'mnist a', 5),
  experiment('12', 'MNIST b', 9),
  experiment('3', "it's", 2),
];
const ids = (filter: string, orderBy: string[] = []) =>
  searchExperiments(all, filter, orderBy).map((e) => e.experimentId);

describe('MLflow experiment search', () => {
  it('filters by name and times with AND, and orders with experiment_id descending last', () => {
    expect(ids("name LIKE 'mnist%'")).toEqual(['7']);
    expect(ids("name ILIKE 'mnist%'")).toEqual(['12', '7']);
    expect(ids("attributes.name != 'Default' and creation_time >= 5")).toEqual(['12', '7']);
    expect(ids("name = 'it''s'")).toEqual(['3']);
    expect(ids('', ['creation_time DESC'])).toEqual(['12', '7', '3', '0']);
    expect(ids('', ['name'])).toEqual(['0', '12', '3', '7']);
    expect(ids("tags.team = 'x'")).toEqual([]);
  });

  it('filters by tags: =, !=, LIKE, ILIKE on a quoted or backticked key; a missing tag matches nothing', () => {
    const tagged = [
      { ...experiment('1', 'a', 1), tags: { team: 'vision', 'data set': 'imagenet-1k' } },
      { ...experiment('2', 'b', 2), tags: { team: 'nlp' } },
      experiment('3', 'c', 3),
    ];
    const tagIds = (filter: string) => searchExperiments(tagged, filter, []).map((e) => e.experimentId);
    expect(tagIds("tags.team = 'vision'")).toEqual(['1']);
    expect(tagIds("tags.team != 'vision'")).toEqual(['2']);
    expect(tagIds("tags.`data set` LIKE 'image%'")).toEqual(['1']);
    expect(tagIds('tags."team" ILIKE \'NL%\'')).toEqual(['2']);
    expect(tagIds("tags.team = 'vision' and name = 'a'")).toEqual(['1']);
    expect(() => parseExperimentFilter('tags.team > 1')).toThrow(/Invalid/);
  });

  it('lists the newest first when no order is asked (ids are not in creation order)', () => {
    const made = [experiment('5', 'x', 1), experiment('9', 'y', 2), experiment('1', 'z', 3)];
    expect(searchExperiments(made, '', []).map((e) => e.experimentId)).toEqual(['1', '9', '5']);
  });

  it('refuses what MLflow refuses', () => {
    for (const filter of [
      "name > 'a'",
      "creation_time = 'x'",
      'name = 1',
      'nonsense',
      "name LIKE 'a' or name = 'b'",
    ]) {
      expect(() => parseExperimentFilter(filter)).toThrow(/Invalid/);
    }
    expect(() => searchExperiments(all, '', ['status'])).toThrow(/order_by/);
  });

  it('matches LIKE patterns literally apart from % and _, as a reference matcher does', () => {
    expect(likeMatcher('a.c%', false)('a.cdef')).toBe(true);
    expect(likeMatcher('a.c%', false)('abcdef')).toBe(false);
    expect(likeMatcher('a_c', true)('ABC')).toBe(true);
    const reference = (pattern: string, text: string) =>
      new RegExp(
        `^${[...pattern].map((c) => (c === '%' ? '.*' : c === '_' ? '.' : c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('')}$`,
        's',
      ).test(text);
    const chars = fc.constantFrom('a', 'b', '%', '_', '.');
    fc.assert(
      fc.property(
        fc.string({ unit: chars, maxLength: 8 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '.'), maxLength: 10 }),
        (pattern, text) => {
          expect(likeMatcher(pattern, false)(text)).toBe(reference(pattern, text));
        },
      ),
    );
  });

  it('answers a pattern of hundreds of % (a backtracking matcher would outlive the test timeout)', () => {
    expect(likeMatcher(`${'%'.repeat(300)}x`, false)('Default'.repeat(50))).toBe(false);
    expect(likeMatcher(`${'%'.repeat(300)}t`, false)('Default'.repeat(50))).toBe(true);
  });
});
