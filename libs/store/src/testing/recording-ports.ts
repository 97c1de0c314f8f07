import type {
  ClickhouseReader,
  ClickhouseWriter,
  ColumnarInsertOperation,
  CommandOperation,
  InsertOperation,
  ReadOperation,
} from '../ports';

/**
 * Ports that touch no ClickHouse: the reader records each operation and answers the rows scripted for its name
 * (none by default), the writer records each insert. For unit specs of what a table module asks, not of what
 * ClickHouse answers (the integration specs run the real engine).
 */
export function recordingReader(answers: Record<string, unknown[]> = {}, database = 'runlog') {
  const operations: ReadOperation[] = [];
  const answer = (operation: ReadOperation) => {
    operations.push(operation);
    return answers[operation.name] ?? [];
  };
  const reader: ClickhouseReader = {
    database,
    query: async <T>(operation: ReadOperation) => answer(operation) as T[],
    queryMeasured: async <T>(operation: ReadOperation) => ({ rows: answer(operation) as T[], rowsRead: 0 }),
  };
  return { reader, operations };
}

export function recordingWriter(database = 'runlog') {
  const inserts: InsertOperation[] = [];
  const columnar: ColumnarInsertOperation[] = [];
  const commands: CommandOperation[] = [];
  const writer: ClickhouseWriter = {
    database,
    insert: async (operation) => {
      inserts.push(operation);
    },
    insertColumns: async (operation) => {
      columnar.push(operation);
    },
    command: async (operation) => {
      commands.push(operation);
    },
  };
  return { writer, inserts, columnar, commands };
}
