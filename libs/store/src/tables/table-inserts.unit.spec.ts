import { recordingWriter } from '../testing/recording-ports';
import { DEAD_LETTER_COLUMNS, insertDeadLetters } from './dead-letters.table';
import { appendMetricPointLines, insertMetricPointBody } from './metric-points.table';
import { insertProjectedLines, PROJECTED_TABLES } from './projected-tables';
import { RUN_COLUMNS, formatRunRow } from './runs.table';

const position = { topic: 'lifecycle', partition: 0, offset: 42 };

/** Each table's insert: its name, its table and its columns in DDL order (the contract with the migrations). */
describe('table inserts', () => {
  it.each(PROJECTED_TABLES)('%s: one named insert of the lines, with the table columns', async (table) => {
    const { writer, inserts } = recordingWriter();
    await insertProjectedLines(writer, table, ['a', 'b']);
    expect(inserts).toHaveLength(1);
    expect(inserts[0]).toMatchObject({ table, body: 'a\nb\n' });
    expect({ name: inserts[0].name, columns: inserts[0].columns }).toMatchSnapshot();
  });

  it('gives no lines an empty body, which the writer does not send', async () => {
    const { writer, inserts } = recordingWriter();
    await insertProjectedLines(writer, 'runs', []);
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
    });
    expect(line.split('\t')).toHaveLength(RUN_COLUMNS.length);
  });

  it('metric_points: lines appended without row objects go in as one body', async () => {
    const lines: string[] = [];
    appendMetricPointLines(lines, 'run-1', 'loss', [1, 2], [0.5, 'NaN'], undefined, 1_000, position);
    const { writer, inserts } = recordingWriter();
    await insertMetricPointBody(writer, lines.join('\n') + '\n');
    expect(inserts[0].body).toBe(
      'run-1\tloss\t1\t0.5\t1970-01-01 00:00:01.000\tlifecycle\t0\t42\n' +
        'run-1\tloss\t2\tnan\t1970-01-01 00:00:01.000\tlifecycle\t0\t42\n',
    );
    expect(inserts[0].name).toBe('insertMetricPoints');
  });
});
