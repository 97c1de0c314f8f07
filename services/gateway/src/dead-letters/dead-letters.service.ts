import { Inject, Injectable } from '@nestjs/common';
import {
  CLICKHOUSE,
  listDeadLetters,
  readerFor,
  type ClickHouse,
  type ClickhouseReader,
} from '../../../../libs/store/src';
import { DeadLetterStatusFilter, type DeadLetter } from './dead-letters.models';

/** Dead letters as the projector recorded them in the log and projected them into ClickHouse (dead_letters). */
@Injectable()
export class DeadLettersService {
  private readonly reader: ClickhouseReader;

  constructor(@Inject(CLICKHOUSE) ch: ClickHouse) {
    this.reader = readerFor(ch);
  }

  async deadLetters(status: DeadLetterStatusFilter, limit: number): Promise<DeadLetter[]> {
    const rows = await listDeadLetters(this.reader, status, limit);
    return rows.map((row) => ({
      ...row,
      status: row.status === 'open' ? DeadLetterStatusFilter.OPEN : DeadLetterStatusFilter.RESOLVED,
    }));
  }
}
