/**
 * Records of RFC 4180 CSV as its text arrives in pieces, however they cut it: quoted fields may hold commas,
 * doubled quotes and newlines; a record ends at a newline outside quotes (a CR before it is dropped). What
 * ClickHouse's CSV output writes, read without holding more than one record.
 */
export async function* csvRecords(pieces: AsyncIterable<string>): AsyncGenerator<string[]> {
  let record: string[] = [];
  let field = '';
  let quoted = false;
  /** Just read a quote inside a quoted field: either it closes the field or, doubled, stands for one quote. */
  let quoteEnded = false;
  let started = false;
  for await (const piece of pieces) {
    let from = 0;
    for (let at = 0; at < piece.length; at += 1) {
      const char = piece[at];
      if (quoted) {
        if (char !== '"') continue;
        field += piece.slice(from, at);
        from = at + 1;
        quoted = false;
        quoteEnded = true;
        continue;
      }
      if (char === '"') {
        // A quote right after a closing one is an escaped quote; a quote opening a field starts quoting.
        field += piece.slice(from, at) + (quoteEnded ? '"' : '');
        from = at + 1;
        quoted = true;
        quoteEnded = false;
        started = true;
        continue;
      }
      quoteEnded = false;
      if (char === ',') {
        record.push(field + piece.slice(from, at));
        field = '';
        from = at + 1;
        started = true;
      } else if (char === '\n') {
        const last = field + piece.slice(from, at);
        record.push(last.endsWith('\r') ? last.slice(0, -1) : last);
        yield record;
        record = [];
        field = '';
        from = at + 1;
        started = false;
      } else {
        started = true;
      }
    }
    field += piece.slice(from);
  }
  if (quoted) throw new Error('the CSV ends inside a quoted field');
  if (started || field.length > 0 || record.length > 0) {
    record.push(field);
    yield record;
  }
}

/** Text of a byte stream, decoded as UTF-8 across chunk boundaries. */
export async function* utf8Pieces(bytes: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for await (const chunk of bytes) {
    const text = decoder.decode(chunk, { stream: true });
    if (text.length > 0) yield text;
  }
  const rest = decoder.decode();
  if (rest.length > 0) yield rest;
}
