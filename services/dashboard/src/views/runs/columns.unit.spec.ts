import { orderTerm, parseColumn } from './columns';

describe('runs table columns', () => {
  it('names a column as the search grammar does, backquoting keys it could not read bare', () => {
    expect(orderTerm(parseColumn('metrics.loss')!, false)).toBe('metrics.loss ASC');
    expect(orderTerm(parseColumn('metrics.train/loss')!, true)).toBe('metrics.`train/loss` DESC');
    expect(orderTerm(parseColumn('params.a`b')!, false)).toBe('params.`a``b` ASC');
  });

  it('refuses what is no column', () => {
    for (const id of ['loss', '.loss', 'metric.loss', 'params.', 'attributes.colour'])
      expect(parseColumn(id)).toBeNull();
    expect(parseColumn('attributes.status')).toEqual({
      id: 'attributes.status',
      entity: 'attributes',
      key: 'status',
    });
  });
});
