import { DomainError } from '../../../../libs/domain/src/errors';
import type { StreamFormat } from '../../../../libs/store/src';

/** No format the client accepts is one the export writes: 406. */
export class NotAcceptableError extends DomainError {
  readonly code = 'not_acceptable';
}

export interface ExportFormat {
  /** ClickHouse's output format that writes it. */
  format: StreamFormat;
  /** The Content-Type of the answer. */
  contentType: string;
  /** Media types an Accept header may name it by. */
  mediaTypes: readonly string[];
}

/** In the server's order of preference, for an Accept header that likes several equally. */
export const EXPORT_FORMATS: readonly ExportFormat[] = [
  {
    format: 'CSVWithNames',
    contentType: 'text/csv; charset=utf-8; header=present',
    mediaTypes: ['text/csv'],
  },
  {
    format: 'ArrowStream',
    contentType: 'application/vnd.apache.arrow.stream',
    mediaTypes: ['application/vnd.apache.arrow.stream'],
  },
  {
    format: 'Parquet',
    contentType: 'application/vnd.apache.parquet',
    mediaTypes: ['application/vnd.apache.parquet', 'application/x-parquet'],
  },
];

interface MediaRange {
  type: string;
  subtype: string;
  quality: number;
}

/**
 * The format an Accept header asks for (RFC 9110 §12.5.1): each format takes the quality of the most specific
 * range that matches it, and the best quality above zero wins. No header, or an empty one, accepts anything: CSV.
 */
export function negotiateExportFormat(accept: string | undefined): ExportFormat {
  if (accept === undefined || accept.trim() === '') return EXPORT_FORMATS[0];
  const ranges = parseAccept(accept);
  let best: { format: ExportFormat; quality: number } | null = null;
  for (const format of EXPORT_FORMATS) {
    const quality = Math.max(...format.mediaTypes.map((mediaType) => qualityOf(mediaType, ranges)));
    if (quality > 0 && (best === null || quality > best.quality)) best = { format, quality };
  }
  if (best) return best.format;
  const offered = EXPORT_FORMATS.flatMap((format) => format.mediaTypes).join(', ');
  throw new NotAcceptableError(`Accept "${accept.slice(0, 200)}" names none of ${offered}`, 'accept');
}

function qualityOf(mediaType: string, ranges: MediaRange[]): number {
  const [type, subtype] = mediaType.split('/');
  let specificity = -1;
  let quality = 0;
  for (const range of ranges) {
    const matches =
      (range.type === '*' && range.subtype === '*') ||
      (range.type === type && (range.subtype === '*' || range.subtype === subtype));
    if (!matches) continue;
    const rank = range.type === '*' ? 0 : range.subtype === '*' ? 1 : 2;
    if (rank > specificity) {
      specificity = rank;
      quality = range.quality;
    }
  }
  return quality;
}

function parseAccept(accept: string): MediaRange[] {
  const ranges: MediaRange[] = [];
  for (const part of accept.split(',')) {
    const [mediaRange, ...parameters] = part.split(';');
    const [type, subtype] = mediaRange.trim().toLowerCase().split('/');
    if (!type || !subtype) continue;
    let quality = 1;
    for (const parameter of parameters) {
      const [name, value] = parameter.split('=').map((text) => text.trim());
      if (name.toLowerCase() !== 'q') continue;
      const parsed = Number(value);
      quality = /^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(value ?? '') ? parsed : 0;
    }
    ranges.push({ type, subtype, quality });
  }
  return ranges;
}
