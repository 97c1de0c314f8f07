import { negotiateExportFormat, NotAcceptableError } from './export-formats';

const chosen = (accept: string | undefined) => negotiateExportFormat(accept).format;

describe('choosing the export format by Accept', () => {
  it.each([
    [undefined, 'CSVWithNames'],
    ['', 'CSVWithNames'],
    ['*/*', 'CSVWithNames'],
    ['text/*', 'CSVWithNames'],
    ['text/csv', 'CSVWithNames'],
    ['TEXT/CSV; charset=utf-8', 'CSVWithNames'],
    ['application/vnd.apache.arrow.stream', 'ArrowStream'],
    ['application/vnd.apache.parquet', 'Parquet'],
    ['application/x-parquet', 'Parquet'],
    ['application/*', 'ArrowStream'],
    ['text/csv;q=0.5, application/vnd.apache.parquet', 'Parquet'],
    ['application/json, application/vnd.apache.arrow.stream;q=0.1', 'ArrowStream'],
    ['*/*;q=0.1, text/csv;q=0', 'ArrowStream'],
    ['text/csv;q=1.000, application/x-parquet;q=0.999', 'CSVWithNames'],
  ])('Accept %p gives %s', (accept, format) => {
    expect(chosen(accept)).toBe(format);
  });

  it.each([
    'application/json',
    'text/html, application/xml;q=0.9',
    'text/csv;q=0',
    '*/*;q=0',
    'text/csv;q=2',
    'garbage',
  ])('refuses %p with 406, naming the accept header', (accept) => {
    expect(() => negotiateExportFormat(accept)).toThrow(NotAcceptableError);
    try {
      negotiateExportFormat(accept);
    } catch (error) {
      expect((error as NotAcceptableError).field).toBe('accept');
      expect((error as NotAcceptableError).message).toContain('text/csv');
    }
  });
});
