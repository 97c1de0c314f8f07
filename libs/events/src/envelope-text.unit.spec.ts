import { createHash, type Hash } from 'node:crypto';
import fc from 'fast-check';
import {
  canonicalJson,
  requestDigest,
  sealEventWithText,
  verifyStreamChain,
  type NewEvent,
} from './envelope';

/**
 * The request digest as it was first written: one `hash.update` per piece. Digests are stored on events and
 * compared on a retry, so the buffered implementation must give byte-for-byte the same ones, or a retry sent
 * across an upgrade would be refused as another request.
 */
function streamedDigest(operation: string, target: string, body: object): string {
  const rest: Record<string, unknown> = { ...body };
  delete rest.eventId;
  const hash = createHash('sha256');
  hash.update(`${JSON.stringify(operation)}\n${JSON.stringify(target)}\n`);
  streamValue(hash, rest);
  return hash.digest('hex');
}

function streamValue(hash: Hash, value: unknown): void {
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every((item) => typeof item === 'number' && Number.isFinite(item))) {
      hash.update(`f${value.length}:`);
      hash.update(new Uint8Array(Float64Array.from(value as number[]).buffer));
      return;
    }
    hash.update(`[${value.length}:`);
    for (const item of value) streamValue(hash, item);
    hash.update(']');
    return;
  }
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).filter((key) => (value as Record<string, unknown>)[key] !== undefined);
    hash.update(`{${keys.length}:`);
    for (const key of keys.sort()) {
      hash.update(`${JSON.stringify(key)}=`);
      streamValue(hash, (value as Record<string, unknown>)[key]);
    }
    hash.update('}');
    return;
  }
  hash.update(`${canonicalJson(value)};`);
}

const text = fc.string({ unit: 'binary', maxLength: 40 });
const finite = fc.double({ noNaN: true, noDefaultInfinity: true });
const jsonLike = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    text,
    finite,
    fc.boolean(),
    fc.constant(null),
    fc.array(finite, { maxLength: 30 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(text, tie('value'), { maxKeys: 5 }),
  ),
})).value;

describe('requestDigest, buffered', () => {
  it('equals the digest hashed piece by piece, for any body', () => {
    fc.assert(
      fc.property(text, text, fc.dictionary(text, jsonLike, { maxKeys: 6 }), (operation, target, body) => {
        expect(requestDigest(operation, target, body)).toBe(streamedDigest(operation, target, body));
      }),
      { numRuns: 500 },
    );
  });

  it('equals it for bodies past its buffer: long texts, long columns, many series', () => {
    const wide = {
      metrics: Array.from({ length: 300 }, (_, index) => ({
        key: `k${index}`.repeat(50),
        steps: Array.from({ length: 200 }, (_, step) => step),
        values: Array.from({ length: 200 }, (_, step) => (step === 7 ? 'NaN' : Math.sin(step + index))),
      })),
      note: '\u{1F600}é\ud800x'.repeat(40_000),
    };
    expect(requestDigest('POST /m', 'run-1', wide)).toBe(streamedDigest('POST /m', 'run-1', wide));
  });
});

describe('sealEventWithText', () => {
  const event = (actor: string, payload: unknown, requestDigest?: string): NewEvent => ({
    id: '0190c3b4-0000-7000-8000-000000000001',
    type: 'run.params_logged',
    v: 1,
    workspace: 'ws-1',
    actor,
    occurredAt: '2025-03-01T12:00:00.000Z',
    payload,
    ...(requestDigest === undefined ? {} : { requestDigest }),
  });

  it('stores the canonical JSON of the whole sealed envelope, for any actor and payload', () => {
    fc.assert(
      fc.property(
        text,
        fc.dictionary(text, jsonLike, { maxKeys: 6 }),
        fc.option(text, { nil: undefined }),
        (actor, payload, digest) => {
          const { envelope, text: stored } = sealEventWithText(
            event(actor, payload, digest),
            'run:r',
            null,
            '2025-03-01T12:00:01.000Z',
          );
          expect(stored).toBe(canonicalJson(envelope));
          expect(JSON.parse(stored)).toEqual(JSON.parse(JSON.stringify(envelope)));
          expect(verifyStreamChain([JSON.parse(stored)])).toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('falls back to serialising the envelope when the actor is not text', () => {
    const odd = { ...event('x', { a: 1 }), actor: 7 as unknown as string };
    const { envelope, text: stored } = sealEventWithText(odd, 'run:r', null, '2025-03-01T12:00:01.000Z');
    expect(stored).toBe(canonicalJson(envelope));
  });
});
