import { comparisonRows, flattenContext, type ComparedRun } from './compare-rows';

const run = (overrides: Partial<ComparedRun>): ComparedRun => ({
  attributes: { status: 'finished' },
  params: {},
  tags: {},
  metrics: {},
  context: null,
  inputs: {},
  ...overrides,
});

describe('comparisonRows', () => {
  it('lists every key any run has, a value per run, and flags the rows that differ', () => {
    const rows = comparisonRows([
      run({ params: { lr: '0.1', opt: 'adam' }, tags: { team: 'a' }, metrics: { acc: '0.9' } }),
      run({ params: { lr: '0.2', opt: 'adam' }, metrics: { acc: 'NaN' } }),
    ]);
    expect(rows).toEqual([
      { section: 'attribute', key: 'status', values: ['finished', 'finished'], differs: false },
      { section: 'param', key: 'lr', values: ['0.1', '0.2'], differs: true },
      { section: 'param', key: 'opt', values: ['adam', 'adam'], differs: false },
      { section: 'tag', key: 'team', values: ['a', null], differs: true },
      { section: 'metric', key: 'acc', values: ['0.9', 'NaN'], differs: true },
    ]);
  });

  it("takes keys named like Object's own properties as keys", () => {
    const rows = comparisonRows([run({ params: { constructor: 'a', toString: 'b' } }), run({ params: {} })]);
    expect(rows.filter((row) => row.section === 'param')).toEqual([
      { section: 'param', key: 'constructor', values: ['a', null], differs: true },
      { section: 'param', key: 'toString', values: ['b', null], differs: true },
    ]);
  });

  it('compares context flattened to dotted keys', () => {
    const rows = comparisonRows([
      run({
        context: { code: { commit: 'abc', dirty: false }, hardware: { cpuCount: 8 }, seeds: { torch: 1 } },
      }),
      run({ context: { code: { commit: 'def', dirty: false }, hardware: { cpuCount: 8 } } }),
    ]).filter((row) => row.section === 'context');
    expect(rows.map(({ key, values, differs }) => [key, values, differs])).toEqual([
      ['code.commit', ['abc', 'def'], true],
      ['code.dirty', ['false', 'false'], false],
      ['hardware.cpuCount', ['8', '8'], false],
      ['seeds.torch', ['1', null], true],
    ]);
  });

  it('writes lists as JSON and leaves out what is absent', () => {
    expect(
      flattenContext({ hardware: { gpus: [{ model: 'A100' }] }, user: undefined, host: 'h' } as never),
    ).toEqual({ 'hardware.gpus': '[{"model":"A100"}]', host: 'h' });
    expect(flattenContext(null)).toEqual({});
  });
});
