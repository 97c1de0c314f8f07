import type { DomainEvent, RunContext, RunInput, RunLifecycleEvent } from '../../../events/src/run.events';
import { IllegalTransition, NotFoundError } from '../errors';
import { DeciderSpecification } from '../testing/decider-specification';
import { decideRun, evolveRun, initialRunState, type CreateRunLookups, type RunCommand } from './run.decider';

/** The run's full record: queued runs, sweeps and parents, names, notes, deletion, inputs, context, staleness. */
const given = DeciderSpecification.for({
  decide: decideRun,
  evolve: evolveRun,
  initialState: initialRunState,
});

const runId = 'run-1';
const experimentId = 'exp-1';
const now = 9_000;
const metadata = { now };

type Event = DomainEvent<RunLifecycleEvent>;
const created = (
  startTime: number | null = 1_000,
  extra: { sweepId?: string; parentRunId?: string } = {},
): Event => ({
  type: 'run.created',
  v: 2,
  payload: {
    runId,
    experimentId,
    name: 'trial',
    createdAt: 1_000,
    startTime,
    sweepId: extra.sweepId ?? null,
    parentRunId: extra.parentRunId ?? null,
  },
});
const queued = created(null);
const running = created();
const finished: Event = { type: 'run.finished', v: 1, payload: { endTime: 5_000 } };
const deleted: Event = { type: 'run.deleted', v: 1, payload: {} };
const stale: Event = { type: 'run.marked_stale', v: 1, payload: { lastSeenAt: 2_000, timeoutMs: 600_000 } };
const resumed: Event = { type: 'run.resumed', v: 1, payload: {} };

const context: RunContext = {
  code: { commit: 'a'.repeat(40), branch: 'main', dirty: false },
  hardware: { cpuCount: 8, gpus: [{ model: 'A100' }] },
  seeds: { torch: 42 },
  host: 'gpu-7',
};
const mnist: RunInput = {
  name: 'mnist',
  digest: 'sha256:1234',
  source: 's3://data/mnist',
  split: 'train',
  rows: 60_000,
  schemaDigest: null,
};

type CreateData = Extract<RunCommand, { type: 'CreateRun' }>['data'];
const lookups: CreateRunLookups = { experiment: 'active', sweepExperimentId: null, parentExists: false };
const create = (overrides: Partial<CreateData> = {}): RunCommand => ({
  type: 'CreateRun',
  data: {
    runId,
    experimentId,
    name: 'trial',
    queued: false,
    sweepId: null,
    parentRunId: null,
    context: null,
    lookups,
    ...overrides,
  },
  metadata,
});
const command = <T extends RunCommand['type']>(
  type: T,
  data: Omit<Extract<RunCommand, { type: T }>['data'], 'runId'>,
): RunCommand => ({ type, data: { runId, ...data }, metadata }) as RunCommand;

const start = (ctx: RunContext | null = null) => command('StartRun', { context: ctx });
const logMetrics = command('LogMetrics', { series: [{ key: 'loss', steps: [1], values: ['NaN'] }] });
const heartbeat = command('Heartbeat', {});
const markStale = command('MarkStale', { lastSeenAt: 2_000, timeoutMs: 600_000 });

describe('run decider: the full record', () => {
  describe('create', () => {
    it('a queued run has no start time; it is created at metadata.now', () => {
      given([])
        .when(create({ queued: true }))
        .then([{ ...created(null), payload: { ...created(null).payload, createdAt: now } } as Event]);
    });

    it('records the context captured at start right after the creation', () => {
      const [first, second] = decideRun(create({ context }), initialRunState);
      expect(first.type).toBe('run.created');
      expect(second).toEqual({ type: 'run.context_captured', v: 1, payload: { context } });
    });

    it('joins a sweep of the same experiment and names a parent that exists', () => {
      const [event] = decideRun(
        create({
          sweepId: 'sweep-1',
          parentRunId: 'run-0',
          lookups: { ...lookups, sweepExperimentId: experimentId, parentExists: true },
        }),
        initialRunState,
      );
      expect(event.payload).toMatchObject({ sweepId: 'sweep-1', parentRunId: 'run-0' });
    });

    it.each([
      {
        why: 'an archived experiment is 409 on experimentId',
        overrides: { lookups: { ...lookups, experiment: 'archived' as const } },
        error: IllegalTransition,
        field: 'experimentId',
      },
      {
        why: 'an unknown sweep is 404 on sweepId',
        overrides: { sweepId: 'nope' },
        error: NotFoundError,
        field: 'sweepId',
      },
      {
        why: "another experiment's sweep is 409 on sweepId",
        overrides: { sweepId: 'sweep-1', lookups: { ...lookups, sweepExperimentId: 'exp-2' } },
        error: IllegalTransition,
        field: 'sweepId',
      },
      {
        why: 'an unknown parent is 404 on parentRunId',
        overrides: { parentRunId: 'run-0' },
        error: NotFoundError,
        field: 'parentRunId',
      },
      {
        why: 'a run that is its own parent is 409 on parentRunId',
        overrides: { parentRunId: runId, lookups: { ...lookups, parentExists: true } },
        error: IllegalTransition,
        field: 'parentRunId',
      },
    ])('$why', ({ overrides, error, field }) => {
      given([])
        .when(create(overrides))
        .thenThrows(error as typeof NotFoundError, (thrown) => {
          expect(thrown.field).toBe(field);
        });
    });
  });

  describe('queued', () => {
    it('StartRun starts it at metadata.now, with the context of the machine that picked it up', () => {
      given([queued])
        .when(start(context))
        .then([
          { type: 'run.started', v: 1, payload: { startTime: now } },
          { type: 'run.context_captured', v: 1, payload: { context } },
        ]);
    });

    it('accepts params and inputs before it starts (what a scheduler records)', () => {
      given([queued])
        .when(command('LogParams', { params: { lr: '0.1' } }))
        .then([{ type: 'run.params_logged', v: 1, payload: { params: { lr: '0.1' } } }]);
      given([queued])
        .when(command('LogInputs', { inputs: [mnist] }))
        .then([{ type: 'run.inputs_logged', v: 1, payload: { inputs: [mnist] } }]);
    });

    it('can be killed or failed without ever starting', () => {
      given([queued])
        .when(command('KillRun', { reason: 'sweep stopped' }))
        .then([{ type: 'run.killed', v: 1, payload: { endTime: now, reason: 'sweep stopped' } }]);
    });

    it.each([
      { name: 'LogMetrics', cmd: logMetrics },
      { name: 'FinishRun', cmd: command('FinishRun', {}) },
      { name: 'Heartbeat', cmd: heartbeat },
      {
        name: 'LogArtifact',
        cmd: command('LogArtifact', { path: 'm.pt', size: 1, digest: 'a'.repeat(64), contentType: 'x/y' }),
      },
    ])('$name is 409: it has not started', ({ cmd }) => {
      given([queued])
        .when(cmd)
        .thenThrows(IllegalTransition, (error) => expect(error.message).toContain('queued'));
    });

    it('evolves to running with its start time', () => {
      const state = [queued, { type: 'run.started', v: 1, payload: { startTime: 7 } } as Event].reduce(
        evolveRun,
        initialRunState,
      );
      expect(state).toMatchObject({ status: 'running', startTime: 7, createdAt: 1_000 });
    });
  });

  describe('running', () => {
    it('StartRun again is 409', () => {
      given([running]).when(start()).thenThrows(IllegalTransition);
    });

    it('a heartbeat records nothing', () => {
      given([running]).when(heartbeat).thenNothing();
    });

    it('logs inputs once per name and digest; a new digest under the same name is another input', () => {
      const v2 = { ...mnist, digest: 'sha256:5678' };
      given([running, { type: 'run.inputs_logged', v: 1, payload: { inputs: [mnist] } }])
        .when(command('LogInputs', { inputs: [mnist, v2, v2] }))
        .then([{ type: 'run.inputs_logged', v: 1, payload: { inputs: [v2] } }]);
      given([running, { type: 'run.inputs_logged', v: 1, payload: { inputs: [mnist] } }])
        .when(command('LogInputs', { inputs: [mnist] }))
        .thenNothing();
    });

    it('FailRun keeps the stack trace', () => {
      given([running])
        .when(command('FailRun', { reason: 'CUDA OOM', stackTrace: 'Error: OOM\n  at train' }))
        .then([
          {
            type: 'run.failed',
            v: 2,
            payload: { endTime: now, reason: 'CUDA OOM', stackTrace: 'Error: OOM\n  at train' },
          },
        ]);
    });

    it('MarkStale records the silence it saw', () => {
      given([running]).when(markStale).then([stale]);
    });
  });

  describe('stale', () => {
    it('the first write of its client resumes it before the write', () => {
      given([running, stale])
        .when(command('LogParams', { params: { lr: '0.1' } }))
        .then([resumed, { type: 'run.params_logged', v: 1, payload: { params: { lr: '0.1' } } }]);
      given([running, stale]).when(heartbeat).then([resumed]);
    });

    it('metrics resume it too', () => {
      const [first, second] = decideRun(logMetrics, [running, stale].reduce(evolveRun, initialRunState));
      expect(first).toEqual(resumed);
      expect(second.type).toBe('metrics.logged');
    });

    it('still takes its ending, and a reviewer’s tags do not resume it', () => {
      given([running, stale])
        .when(command('FinishRun', {}))
        .then([{ type: 'run.finished', v: 1, payload: { endTime: now } }]);
      given([running, stale])
        .when(command('SetTags', { tags: { verdict: 'crashed' } }))
        .then([{ type: 'run.tags_set', v: 1, payload: { tags: { verdict: 'crashed' } } }]);
    });

    it('MarkStale again records nothing; so does a mark that lost the race to an ending or a deletion', () => {
      given([running, stale]).when(markStale).thenNothing();
      given([running, finished]).when(markStale).thenNothing();
      given([queued]).when(markStale).thenNothing();
      given([running, deleted]).when(markStale).thenNothing();
    });

    it('evolves stale → running on run.resumed', () => {
      expect([running, stale].reduce(evolveRun, initialRunState)).toMatchObject({ status: 'stale' });
      expect([running, stale, resumed].reduce(evolveRun, initialRunState)).toMatchObject({
        status: 'running',
      });
    });
  });

  describe('annotations: name, note, delete and restore', () => {
    it.each([
      { name: 'running', history: [running] },
      { name: 'finished', history: [running, finished] },
      { name: 'queued', history: [queued] },
    ])('rename and note are accepted when $name; the same value again records nothing', ({ history }) => {
      given(history)
        .when(command('RenameRun', { name: 'best trial' }))
        .then([{ type: 'run.renamed', v: 1, payload: { name: 'best trial' } }]);
      given(history)
        .when(command('RenameRun', { name: 'trial' }))
        .thenNothing();
      given(history)
        .when(command('SetNote', { note: 'diverged at step 40k' }))
        .then([{ type: 'run.note_set', v: 1, payload: { note: 'diverged at step 40k' } }]);
      given(history)
        .when(command('SetNote', { note: '' }))
        .thenNothing();
    });

    it('a finished run refuses inputs and a new context: its record is closed', () => {
      given([running, finished])
        .when(command('LogInputs', { inputs: [mnist] }))
        .thenThrows(IllegalTransition);
      given([running, finished]).when(start(context)).thenThrows(IllegalTransition);
    });

    it('delete and restore toggle; deleting twice or restoring a live run records nothing', () => {
      given([running]).when(command('DeleteRun', {})).then([deleted]);
      given([running, deleted]).when(command('DeleteRun', {})).thenNothing();
      given([running, deleted])
        .when(command('RestoreRun', {}))
        .then([{ type: 'run.restored', v: 1, payload: {} }]);
      given([running]).when(command('RestoreRun', {})).thenNothing();
    });

    it.each([
      { name: 'LogMetrics', cmd: logMetrics },
      { name: 'LogParams', cmd: command('LogParams', { params: { lr: '1' } }) },
      { name: 'SetTags', cmd: command('SetTags', { tags: { a: 'b' } }) },
      { name: 'SetNote', cmd: command('SetNote', { note: 'x' }) },
      { name: 'RenameRun', cmd: command('RenameRun', { name: 'x' }) },
      { name: 'FinishRun', cmd: command('FinishRun', {}) },
      { name: 'Heartbeat', cmd: heartbeat },
    ])('a deleted run refuses $name with 409 until restored', ({ cmd }) => {
      given([running, deleted])
        .when(cmd)
        .thenThrows(IllegalTransition, (error) => {
          expect(error.field).toBe('runId');
          expect(error.message).toContain('deleted');
        });
    });

    it('a restored run accepts writes again', () => {
      given([running, deleted, { type: 'run.restored', v: 1, payload: {} }])
        .when(logMetrics)
        .then([
          {
            type: 'metrics.logged',
            v: 1,
            payload: { runId, series: [{ key: 'loss', steps: [1], values: ['NaN'] }] },
          },
        ]);
    });
  });

  it('evolve keeps sweep, parent, note, context and inputs', () => {
    const state = [
      created(1_000, { sweepId: 'sweep-1', parentRunId: 'run-0' }),
      { type: 'run.context_captured', v: 1, payload: { context } } as Event,
      { type: 'run.note_set', v: 1, payload: { note: 'n' } } as Event,
      { type: 'run.inputs_logged', v: 1, payload: { inputs: [mnist] } } as Event,
    ].reduce(evolveRun, initialRunState);
    expect(state).toMatchObject({
      sweepId: 'sweep-1',
      parentRunId: 'run-0',
      note: 'n',
      context,
      inputs: [mnist],
      deleted: false,
    });
  });
});
