import { tsvString } from '../tsv';

/** Where a projected row came from in the log. */
export interface LogPosition {
  topic: string;
  partition: number;
  offset: number;
}

/** The last columns of every projected table, in this order. */
export const LOG_POSITION_COLUMNS = ['_log_topic', '_log_partition', '_log_offset'] as const;

export function tsvPosition(position: LogPosition): string {
  return `${tsvString(position.topic)}\t${position.partition}\t${position.offset}`;
}
