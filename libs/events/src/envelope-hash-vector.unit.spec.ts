import { createHash } from 'node:crypto';
import {
  hashEnvelope,
  sealEvent,
  sealEventWithText,
  verifyStreamChain,
  type EventEnvelope,
  type NewEvent,
} from './envelope';

/*
 * The hash is a stored format: auditors recompute it outside Runlog. These vectors were computed outside this code
 * (Python's hashlib over RFC 8785 text written by hand), so a change to what is hashed, or how, fails here before it
 * can make every stored chain unverifiable.
 */
const FULL_EVENT: NewEvent = {
  id: '0190f5a2-7c3e-7b1a-9d4e-2f6a8b0c1d2e',
  type: 'run.params_logged',
  v: 1,
  workspace: 'research',
  actor: 'token:alice',
  occurredAt: '2026-01-02T03:04:05.678Z',
  payload: { runId: 'r-vector', params: { lr: '0.001', béta: 'ü€😀' } },
  requestDigest: '2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae',
  onBehalfOf: 'bob',
};
const FULL_PLACE = {
  stream: 'run:r-vector',
  prevHash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  recordedAt: '2026-01-02T03:04:06.789Z',
};
const FULL_TEXT =
  '{"actor":"token:alice","id":"0190f5a2-7c3e-7b1a-9d4e-2f6a8b0c1d2e","occurredAt":"2026-01-02T03:04:05.678Z",' +
  '"onBehalfOf":"bob","payload":{"params":{"béta":"ü€😀","lr":"0.001"},"runId":"r-vector"},' +
  '"prevHash":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",' +
  '"recordedAt":"2026-01-02T03:04:06.789Z",' +
  '"requestDigest":"2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",' +
  '"stream":"run:r-vector","type":"run.params_logged","v":1,"workspace":"research"}';
const FULL_HASH = '753428738319e7833de7384d15f73eabaffd6864131a6ebe7fb90b76e6c765ee';

/** The first event of a stream, without the optional fields: they are left out of the hashed body, not nulled. */
const MINIMAL_EVENT: NewEvent = {
  id: '0190f5a2-7c3e-7b1a-9d4e-2f6a8b0c1d2f',
  type: 'run.finished',
  v: 1,
  workspace: 'default',
  actor: 'local:ci',
  occurredAt: '2026-01-02T03:04:07.000Z',
  payload: { runId: 'r-vector' },
};
const MINIMAL_HASH = 'f1893efea5c1f25aa8b612b293fcd915fdc634389855c1ce9d1627f4017be5bb';

function sealFull(): EventEnvelope {
  return sealEvent(FULL_EVENT, FULL_PLACE.stream, FULL_PLACE.prevHash, FULL_PLACE.recordedAt);
}

describe('the envelope hash, pinned by test vectors', () => {
  it('hashes the vector envelope to the sha256 computed outside Runlog, over the RFC 8785 text', () => {
    expect(createHash('sha256').update(FULL_TEXT).digest('hex')).toBe(FULL_HASH);
    const sealed = sealEventWithText(
      FULL_EVENT,
      FULL_PLACE.stream,
      FULL_PLACE.prevHash,
      FULL_PLACE.recordedAt,
    );
    expect(sealed.envelope.hash).toBe(FULL_HASH);
    const { hash, ...unsealed } = sealed.envelope;
    expect(hashEnvelope(unsealed)).toBe(hash);
    // The stored text is the hashed text with the hash in its sorted place.
    expect(sealed.text.replace(`,"hash":"${FULL_HASH}"`, '')).toBe(FULL_TEXT);
  });

  it('hashes a first event without the optional fields to its pinned sha256', () => {
    expect(sealEvent(MINIMAL_EVENT, 'run:r-vector', null, '2026-01-02T03:04:07.001Z').hash).toBe(
      MINIMAL_HASH,
    );
  });

  // One case per hashed field: each must move the hash, and the chain verifier must notice the edit.
  const edits: Record<keyof Omit<EventEnvelope, 'hash'>, (envelope: EventEnvelope) => EventEnvelope> = {
    id: (e) => ({ ...e, id: '0190f5a2-7c3e-7b1a-9d4e-2f6a8b0c1d2a' }),
    type: (e) => ({ ...e, type: 'run.tags_set' }),
    v: (e) => ({ ...e, v: 2 }),
    stream: (e) => ({ ...e, stream: 'run:r-other' }),
    workspace: (e) => ({ ...e, workspace: 'default' }),
    actor: (e) => ({ ...e, actor: 'token:mallory' }),
    occurredAt: (e) => ({ ...e, occurredAt: '2026-01-02T03:04:05.679Z' }),
    recordedAt: (e) => ({ ...e, recordedAt: '2025-01-02T03:04:06.789Z' }),
    payload: (e) => ({ ...e, payload: { runId: 'r-vector', params: { lr: '0.01', béta: 'ü€😀' } } }),
    prevHash: (e) => ({ ...e, prevHash: null }),
    requestDigest: (e) => ({ ...e, requestDigest: undefined }),
    onBehalfOf: (e) => ({ ...e, onBehalfOf: 'carol' }),
  };

  it.each(Object.keys(edits))('covers %s: an edit to it changes the hash', (field) => {
    const original = sealFull();
    const edited = edits[field as keyof typeof edits](original);
    const { hash, ...unsealed } = edited;
    expect(hash).toBe(FULL_HASH);
    expect(hashEnvelope(unsealed)).not.toBe(FULL_HASH);
    // Re-sealed in place by the writer, the edited event gets another hash too (prevHash comes from the chain).
    const resealed = sealEvent(edited as NewEvent, edited.stream, edited.prevHash, edited.recordedAt);
    expect(resealed.hash).not.toBe(FULL_HASH);
  });

  it.each(Object.keys(edits).filter((field) => field !== 'prevHash'))(
    'a stored %s edited without its hash is found by the chain verifier at that event',
    (field) => {
      const first = sealEvent(MINIMAL_EVENT, FULL_PLACE.stream, null, '2026-01-02T03:04:07.001Z');
      const second = sealEvent(FULL_EVENT, FULL_PLACE.stream, first.hash, FULL_PLACE.recordedAt);
      const edited = edits[field as keyof typeof edits](second);
      expect(verifyStreamChain([first, second])).toBeNull();
      expect(verifyStreamChain([first, edited])).toEqual({
        index: 1,
        id: edited.id,
        reason: 'hash_mismatch',
      });
    },
  );
});
