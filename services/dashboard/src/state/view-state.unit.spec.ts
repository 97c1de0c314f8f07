import fc from 'fast-check';
import { DEFAULT_VIEW, formatViewState, parseViewState, type ViewState } from './view-state';

const text = fc.string({ unit: 'grapheme', maxLength: 40 });
const item = text.filter((s) => s !== '');
const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n));
const view: fc.Arbitrary<ViewState> = fc.record({
  page: fc.constantFrom('runs', 'run', 'compare', 'registry'),
  experiment: fc.option(item, { nil: null }),
  sweep: fc.option(item, { nil: null }),
  filter: text,
  sort: fc.array(item, { maxLength: 4 }),
  columns: fc.array(item, { maxLength: 6 }),
  selected: fc.array(item, { maxLength: 120 }),
  keys: fc.array(item, { maxLength: 5 }),
  x: fc.constantFrom('step', 'wall', 'relative'),
  smooth: fc.double({ min: 0, max: 0.99, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n)),
  log: fc.boolean(),
  from: fc.option(finite, { nil: null }),
  to: fc.option(finite, { nil: null }),
  run: fc.option(item, { nil: null }),
  model: fc.option(item, { nil: null }),
  asOf: fc.option(finite, { nil: null }),
});

describe('the view state in the URL', () => {
  it('reads back every state it writes: a link shows exactly the same view', () => {
    fc.assert(fc.property(view, (state) => expect(parseViewState(formatViewState(state))).toEqual(state)));
  });

  it('writes nothing for the defaults, and only what differs otherwise', () => {
    expect(formatViewState(DEFAULT_VIEW)).toBe('');
    expect(formatViewState({ ...DEFAULT_VIEW, selected: ['a', 'b'], log: true })).toBe(
      '?selected=a&selected=b&log=1',
    );
  });

  it('opens some view from any query string, taking defaults for what is missing or malformed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (search) => {
        const state = parseViewState(search);
        expect(['runs', 'run', 'compare', 'registry']).toContain(state.page);
        expect(['step', 'wall', 'relative']).toContain(state.x);
        expect(state.smooth).toBeGreaterThanOrEqual(0);
        expect(state.smooth).toBeLessThanOrEqual(0.99);
        for (const n of [state.from, state.to, state.asOf])
          if (n !== null) expect(Number.isFinite(n)).toBe(true);
      }),
    );
    expect(parseViewState('?page=nowhere&x=sideways&smooth=7&from=NaN&asOf=Infinity')).toMatchObject({
      page: 'runs',
      x: 'step',
      smooth: 0.99,
      from: null,
      asOf: null,
    });
  });
});
