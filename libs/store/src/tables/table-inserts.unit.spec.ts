import { tableFromIPC } from 'apache-arrow';
import type { ArrowColumn } from '../clickhouse';
import { recordingWriter } from '../testing/recording-ports';
import { DEAD_LETTER_COLUMNS, insertDeadLetters } from './dead-letters.table';
import { MetricPointColumns } from './metric-point-columns';
import { insertMetricPoints, UNLABELLED_METRIC_POINT_COLUMNS } from './metric-points.table';
import { insertProjectedRows, PROJECTED_TABLES } from './projected-tables';
import { RUN_COLUMNS, formatRunRow } from './runs.table';

const position = { topic: 'lifecycle', partition: 0, offset: 42 };

/** Each table's insert: its name, its table and its columns in DDL order (the contract with the migrations). */
describe('table inserts', () => {
  const lineTables = PROJECTED_TABLES.filter((table) => table !== 'metric_points');
  it.each(lineTables)('%s: one named insert of the lines, with the table columns', async (table) => {
    const { writer, inserts } = recordingWriter();
    await insertProjectedRows(writer, table, ['a', 'b']);
    expect(inserts).toHaveLength(1);
    expect(inserts[0]).toMatchObject({ table, body: 'a\nb\n' });
    expect({ name: inserts[0].name, columns: inserts[0].columns }).toMatchSnapshot();
  });

  it('gives no lines an empty body, which the writer does not send', async () => {
    const { writer, inserts } = recordingWriter();
    await insertProjectedRows(writer, 'runs', []);
    expect(inserts.map((insert) => insert.body)).toEqual(['']);
  });

  it('dead_letters: named, with its columns', async () => {
    const { writer, inserts } = recordingWriter();
    await insertDeadLetters(writer, ['x']);
    expect(inserts).toEqual([
      { name: 'insertDeadLetters', table: 'dead_letters', columns: DEAD_LETTER_COLUMNS, body: 'x\n' },
    ]);
  });

  it('formats a row with one cell per column', () => {
    const line = formatRunRow({
      runId: 'run-1',
      experimentId: 'exp-1',
      name: 'a\tb',
      status: 'running',
      startTime: 0,
      endTime: null,
      failureReason: null,
      createdAt: 0,
      sweepId: null,
      parentRunId: null,
      deleted: false,
      note: '',
      stackTrace: null,
      contextJson: '',
      started: true,
      position,
      workspace: 'vision',
    });
    expect(line.split('\t')).toHaveLength(RUN_COLUMNS.length);
  });

  it('metric_points: columns go in as one named columnar insert: arrow columns in process, one Arrow stream over HTTP', async () => {
    const points = new MetricPointColumns();
    points.append('run-1', 'loss', [1, 2], [0.5, 'NaN'], undefined, 1_000, position);
    points.append('run-2', 'acc', [3], [-1], [2_000], 0, { ...position, offset: 43 }, '3');
    const { writer, columnar } = recordingWriter();
    await insertMetricPoints(writer, points);
    const [insert] = columnar;
    expect(insert).toMatchObject({ name: 'insertMetricPoints', table: 'metric_points', rows: 3 });
    const contents = (columns: readonly ArrowColumn[]) =>
      columns.map((column) => [column.name, [...column.data]]);
    expect(contents(insert.arrow.points)).toEqual([
      ['p_series', [0, 0, 1]],
      ['p_step', [1, 2, 3]],
      ['p_value', [0.5, NaN, -1]],
      ['p_time', [1_000, 1_000, 2_000]],
      ['p_offset', [42, 42, 43]],
    ]);
    expect(contents(insert.arrow.series)).toEqual([
      ['s_index', [0, 1]],
      ['s_run_id', ['run-1', 'run-2']],
      ['s_key', ['loss', 'acc']],
      ['s_worker', ['', '3']],
    ]);
    const select = insert.select({ points: "arrowstream('p')", series: "arrowstream('s')" });
    expect({ columns: insert.columns, select }).toMatchSnapshot();
    // A server over HTTP gets the same rows as one Arrow stream of the table's columns.
    const stream = tableFromIPC(insert.arrowStream());
    expect(stream.schema.fields.map((field) => field.name)).toEqual([...insert.columns]);
    expect(stream.toArray().map((row) => Object.values(row.toJSON() as object).map(String))).toEqual([
      ['run-1', 'loss', '1', '0.5', '1000', 'lifecycle', '0', '42', ''],
      ['run-1', 'loss', '2', 'NaN', '1000', 'lifecycle', '0', '42', ''],
      ['run-2', 'acc', '3', '-1', '2000', 'lifecycle', '0', '43', '3'],
    ]);
  });

  it("metric_points: an insert of the default worker's points only leaves worker to its DEFAULT", async () => {
    const points = new MetricPointColumns();
    points.append('run-1', 'loss', [1], [0.5], undefined, 1_000, position);
    const { writer, columnar } = recordingWriter();
    await insertMetricPoints(writer, points);
    const [insert] = columnar;
    expect(insert.columns).toEqual([...UNLABELLED_METRIC_POINT_COLUMNS]);
    expect(insert.select({ points: 'p', series: 's' })).not.toContain('s_worker');
    expect(tableFromIPC(insert.arrowStream()).schema.fields.map((field) => field.name)).toEqual([
      ...UNLABELLED_METRIC_POINT_COLUMNS,
    ]);
  });
});
