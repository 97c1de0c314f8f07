import { Inject, Injectable } from '@nestjs/common';
import { CLICKHOUSE, type ClickHouse } from '../../../../libs/store/src/clickhouse';
import { listDeadLetters } from '../../../../libs/store/src/tables/dead-letters.table';
import { DeadLetterStatusFilter, type DeadLetter } from './dead-letters.models';

/** Dead letters as the projector recorded them in the log and projected them into ClickHouse (dead_letters). */
@Injectable()
export class DeadLettersService {
  constructor(@Inject(CLICKHOUSE) private readonly ch: ClickHouse) {}

  async deadLetters(status: DeadLetterStatusFilter, limit: number): Promise<DeadLetter[]> {
    const rows = await listDeadLetters(this.ch, status, limit);
    return rows.map((row) => ({
      ...row,
      status: row.status === 'open' ? DeadLetterStatusFilter.OPEN : DeadLetterStatusFilter.RESOLVED,
    }));
  }
}
