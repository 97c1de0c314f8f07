import type {
  DomainEvent,
  MetricSeriesBatch,
  RunCreated,
  RunFailed,
  RunFinished,
  RunKilled,
  RunLifecycleEvent,
  RunArtifactLogged,
  RunParamsLogged,
  RunTagsSet,
} from '../../../events/src/run.events';
import { IllegalTransition, NotFoundError, ParamConflictError, ValidationError } from '../errors';
import { DeciderSpecification } from '../testing/decider-specification';
import {
  decideRun,
  evolveRun,
  initialRunState,
  type CreateRunLookups,
  type RunCommand,
  type RunState,
} from './run.decider';

const given = DeciderSpecification.for({
  decide: decideRun,
  evolve: evolveRun,
  initialState: initialRunState,
});

const runId = 'run-1';
const experimentId = 'exp-1';
// Times no wall clock returns: a decider that read the clock instead of metadata.now would fail these specs.
const startedAt = 1_000;
const endedAt = 5_000;
const now = 9_000;

const runCreated = (
  startTime: number | null = startedAt,
  createdAt = startedAt,
): DomainEvent<RunCreated> => ({
  type: 'run.created',
  v: 2,
  payload: { runId, experimentId, name: 'baseline', createdAt, startTime, sweepId: null, parentRunId: null },
});
const paramsLogged = (params: Record<string, string>): DomainEvent<RunParamsLogged> => ({
  type: 'run.params_logged',
  v: 1,
  payload: { params },
});
const tagsSet = (tags: Record<string, string>): DomainEvent<RunTagsSet> => ({
  type: 'run.tags_set',
  v: 1,
  payload: { tags },
});
const runFinished = (endTime = endedAt): DomainEvent<RunFinished> => ({
  type: 'run.finished',
  v: 1,
  payload: { endTime },
});
const runFailed = (
  reason: string,
  endTime = endedAt,
  stackTrace: string | null = null,
): DomainEvent<RunFailed> => ({
  type: 'run.failed',
  v: 2,
  payload: { endTime, reason, stackTrace },
});
const runKilled = (reason: string | null, endTime = endedAt): DomainEvent<RunKilled> => ({
  type: 'run.killed',
  v: 1,
  payload: { endTime, reason },
});

const digestA = 'a'.repeat(64);
const digestB = 'b'.repeat(64);
const artifactLogged = (path: string, digest = digestA): DomainEvent<RunArtifactLogged> => ({
  type: 'run.artifact_logged',
  v: 1,
  payload: { path, size: 42, digest, contentType: 'application/octet-stream' },
});
const deleteTags = (keys: string[]): RunCommand => ({ type: 'DeleteTags', data: { runId, keys }, metadata });
const logArtifact = (path: string, digest = digestA): RunCommand => ({
  type: 'LogArtifact',
  data: { runId, path, size: 42, digest, contentType: 'application/octet-stream' },
  metadata,
});

const logMedia = (path: string): RunCommand => ({
  type: 'LogMedia',
  data: { runId, key: 'confusion', step: 3, kind: 'image', path },
  metadata,
});

const lossSeries: MetricSeriesBatch[] = [{ key: 'loss', steps: [0, 1], values: [0.9, 0.7] }];

const metadata = { now };
const createRun = (experimentExists = true, at = now): RunCommand =>
  create({ lookups: { ...found, experiment: experimentExists ? 'active' : 'absent' } }, at);
const found: CreateRunLookups = { experiment: 'active', sweepExperimentId: null, parentExists: false };
type CreateData = Extract<RunCommand, { type: 'CreateRun' }>['data'];
const create = (overrides: Partial<CreateData>, at = now): RunCommand => ({
  type: 'CreateRun',
  data: {
    runId,
    experimentId,
    name: 'baseline',
    queued: false,
    sweepId: null,
    parentRunId: null,
    context: null,
    lookups: found,
    ...overrides,
  },
  metadata: { now: at },
});
const logParams = (params: Record<string, string>): RunCommand => ({
  type: 'LogParams',
  data: { runId, params },
  metadata,
});
const setTags = (tags: Record<string, string>): RunCommand => ({
  type: 'SetTags',
  data: { runId, tags },
  metadata,
});
const logMetrics: RunCommand = { type: 'LogMetrics', data: { runId, series: lossSeries }, metadata };
const finishRun = (at = now): RunCommand => ({ type: 'FinishRun', data: { runId }, metadata: { now: at } });
const failRun = (at = now): RunCommand => ({
  type: 'FailRun',
  data: { runId, reason: 'NaN loss', stackTrace: null },
  metadata: { now: at },
});
const killRun = (reason: string | null = 'preempted', at = now): RunCommand => ({
  type: 'KillRun',
  data: { runId, reason },
  metadata: { now: at },
});

/** Every command that addresses an existing run, for the "which state refuses what" tables. */
const commandsOnAnExistingRun: { name: string; command: RunCommand }[] = [
  { name: 'LogParams', command: logParams({ lr: '0.01' }) },
  { name: 'SetTags', command: setTags({ team: 'vision' }) },
  { name: 'LogMetrics', command: logMetrics },
  { name: 'LogArtifact', command: logArtifact('model.pt') },
  { name: 'LogMedia', command: logMedia('model.pt') },
  { name: 'DeleteTags', command: deleteTags(['team']) },
  { name: 'FinishRun', command: finishRun() },
  { name: 'FailRun', command: failRun() },
  { name: 'KillRun', command: killRun() },
];

describe('run decider', () => {
  describe('when absent', () => {
    it('CreateRun creates the run, started at metadata.now', () => {
      given([])
        .when(createRun())
        .then([runCreated(now, now)]);
    });

    it('CreateRun in an experiment that does not exist is not_found on experimentId', () => {
      given([])
        .when(createRun(false))
        .thenThrows(NotFoundError, (error) => {
          expect(error.code).toBe('not_found');
          expect(error.field).toBe('experimentId');
          expect(error.message).toContain(experimentId);
        });
    });

    it.each(commandsOnAnExistingRun)('$name is not_found on runId', ({ command }) => {
      given([])
        .when(command)
        .thenThrows(NotFoundError, (error) => {
          expect(error.code).toBe('not_found');
          expect(error.field).toBe('runId');
          expect(error.message).toContain(runId);
        });
    });
  });

  describe('when running', () => {
    it('CreateRun again is an illegal transition, even when the experiment has since gone', () => {
      given([runCreated()]).when(createRun()).thenThrows(IllegalTransition);
      given([runCreated()]).when(createRun(false)).thenThrows(IllegalTransition);
    });

    it('LogParams records new params', () => {
      given([runCreated()])
        .when(logParams({ lr: '0.01', optimizer: 'adam' }))
        .then([paramsLogged({ lr: '0.01', optimizer: 'adam' })]);
    });

    it('LogParams re-logging a param with the same value records nothing (client retries are harmless)', () => {
      given([runCreated(), paramsLogged({ optimizer: 'adam' })])
        .when(logParams({ optimizer: 'adam' }))
        .thenNothing();
    });

    it('LogParams with a mix of logged and new params records only the new keys', () => {
      given([runCreated(), paramsLogged({ optimizer: 'adam' })])
        .when(logParams({ optimizer: 'adam', batch_size: '64' }))
        .then([paramsLogged({ batch_size: '64' })]);
    });

    it('LogParams changing a logged value is a param_conflict naming the key and both values', () => {
      given([runCreated(), paramsLogged({ optimizer: 'adam' })])
        .when(logParams({ optimizer: 'sgd' }))
        .thenThrows(ParamConflictError, (error) => {
          expect(error.code).toBe('param_conflict');
          expect(error.field).toBe('params.optimizer');
          expect(error.message).toMatch(/"optimizer".*"adam".*"sgd"/);
        });
    });

    it('LogParams with one conflicting key rejects the whole command, new keys included', () => {
      given([runCreated(), paramsLogged({ optimizer: 'adam' })])
        .when(logParams({ batch_size: '64', optimizer: 'sgd' }))
        .thenThrows(ParamConflictError);
    });

    it('LogParams with no params records nothing', () => {
      given([runCreated()]).when(logParams({})).thenNothing();
    });

    it('LogParams treats keys named like Object.prototype members as ordinary new params', () => {
      given([runCreated()])
        .when(logParams({ constructor: 'ResNet50', toString: 'yes' }))
        .then([paramsLogged({ constructor: 'ResNet50', toString: 'yes' })]);
      // JSON.parse makes "__proto__" an own key, as it arrives from a request body.
      const protoKeyed = (): Record<string, string> =>
        JSON.parse('{"__proto__":"x"}') as Record<string, string>;
      given([runCreated()])
        .when(logParams(protoKeyed()))
        .then([paramsLogged(protoKeyed())]);
      given([runCreated(), paramsLogged(protoKeyed())])
        .when(logParams(protoKeyed()))
        .thenNothing();
      given([runCreated(), paramsLogged({ constructor: 'ResNet50' })])
        .when(logParams({ constructor: 'ViT' }))
        .thenThrows(ParamConflictError, (error) => expect(error.message).toMatch(/"ResNet50".*"ViT"/));
    });

    it('SetTags records the tags, and may overwrite a tag set before', () => {
      given([runCreated(), tagsSet({ team: 'vision' })])
        .when(setTags({ team: 'nlp', note: 'rerun' }))
        .then([tagsSet({ team: 'nlp', note: 'rerun' })]);
    });

    it('SetTags with no tags records nothing', () => {
      given([runCreated()]).when(setTags({})).thenNothing();
    });

    it('LogMetrics records the batch under the run id', () => {
      given([runCreated()])
        .when(logMetrics)
        .then([{ type: 'metrics.logged', v: 1, payload: { runId, series: lossSeries } }]);
    });

    it('LogMetrics of a worker records its label; without one the payload has no worker key (old hashes hold)', () => {
      given([runCreated()])
        .when({ ...logMetrics, data: { runId, series: lossSeries, worker: '3' } })
        .then([{ type: 'metrics.logged', v: 1, payload: { runId, worker: '3', series: lossSeries } }]);
      const [unlabelled] = decideRun(logMetrics, evolveRun(initialRunState, runCreated()));
      expect(Object.keys(unlabelled.payload)).toEqual(['runId', 'series']);
    });

    it('DeleteTags records the set keys among those asked, once each and sorted, and skips the others', () => {
      given([runCreated(), tagsSet({ team: 'vision', stage: 'dev' })])
        .when(deleteTags(['stage', 'never-set', 'team', 'stage']))
        .then([{ type: 'run.tags_deleted', v: 1, payload: { keys: ['stage', 'team'] } }]);
    });

    it('DeleteTags of keys that are not set records nothing', () => {
      given([runCreated(), tagsSet({ team: 'vision' })])
        .when(deleteTags(['stage']))
        .thenNothing();
    });

    it('LogArtifact records the path, size, digest and content type', () => {
      given([runCreated()])
        .when(logArtifact('checkpoints/model.pt'))
        .then([artifactLogged('checkpoints/model.pt')]);
    });

    it('LogArtifact of the same bytes to the same path records nothing (a retried upload)', () => {
      given([runCreated(), artifactLogged('model.pt')])
        .when(logArtifact('model.pt'))
        .thenNothing();
    });

    it('LogArtifact of other bytes to a logged path supersedes it', () => {
      given([runCreated(), artifactLogged('model.pt')])
        .when(logArtifact('model.pt', digestB))
        .then([artifactLogged('model.pt', digestB)]);
    });

    it("LogMedia names an artifact of the run as a key's item at a step, with its bytes' digest", () => {
      given([runCreated(), artifactLogged('media/confusion/3.png', digestB)])
        .when(logMedia('media/confusion/3.png'))
        .then([
          {
            type: 'run.media_logged',
            v: 1,
            payload: {
              key: 'confusion',
              step: 3,
              kind: 'image',
              path: 'media/confusion/3.png',
              size: 42,
              digest: digestB,
              contentType: 'application/octet-stream',
            },
          },
        ]);
    });

    it('LogMedia of a path the run has no artifact at is refused on path', () => {
      given([runCreated(), artifactLogged('model.pt')])
        .when(logMedia('media/confusion/3.png'))
        .thenThrows(ValidationError, (error) => {
          expect(error.field).toBe('path');
          expect(error.message).toContain('media/confusion/3.png');
        });
    });

    it('FinishRun ends the run at metadata.now', () => {
      given([runCreated()])
        .when(finishRun())
        .then([runFinished(now)]);
    });

    it('an end before the start (a client or an import naming its own times) is the start', () => {
      given([runCreated()])
        .when(finishRun(startedAt - 500))
        .then([runFinished(startedAt)]);
      given([runCreated()])
        .when(failRun(startedAt - 1))
        .then([runFailed('NaN loss', startedAt)]);
    });

    it('FailRun ends the run at metadata.now with the reason', () => {
      given([runCreated()])
        .when(failRun())
        .then([runFailed('NaN loss', now)]);
    });

    it('KillRun ends the run at metadata.now, with or without a reason', () => {
      given([runCreated()])
        .when(killRun('preempted'))
        .then([runKilled('preempted', now)]);
      given([runCreated()])
        .when(killRun(null))
        .then([runKilled(null, now)]);
    });
  });

  describe.each([
    { status: 'finished', ending: runFinished() },
    { status: 'failed', ending: runFailed('NaN loss') },
    { status: 'killed', ending: runKilled('preempted') },
  ])('when $status', ({ status, ending }) => {
    const history = [runCreated(), paramsLogged({ optimizer: 'adam' }), ending];

    it('CreateRun again is an illegal transition', () => {
      given(history).when(createRun()).thenThrows(IllegalTransition);
    });

    it.each(commandsOnAnExistingRun.filter(({ name }) => name !== 'SetTags' && name !== 'DeleteTags'))(
      '$name is an illegal transition: the recorded outcome never changes',
      ({ command }) => {
        given(history)
          .when(command)
          .thenThrows(IllegalTransition, (error) => {
            expect(error.code).toBe('illegal_transition');
            expect(error.field).toBe('runId');
            expect(error.message).toContain(`it is ${status}`);
          });
      },
    );

    it('LogParams is illegal even when it repeats a logged value', () => {
      given(history)
        .when(logParams({ optimizer: 'adam' }))
        .thenThrows(IllegalTransition);
    });

    it('SetTags is allowed, so a reviewer can label an ended run', () => {
      given(history)
        .when(setTags({ verdict: 'best' }))
        .then([tagsSet({ verdict: 'best' })]);
    });

    it('SetTags with no tags records nothing', () => {
      given(history).when(setTags({})).thenNothing();
    });

    it('DeleteTags is allowed too', () => {
      given([...history, tagsSet({ verdict: 'best' })])
        .when(deleteTags(['verdict']))
        .then([{ type: 'run.tags_deleted', v: 1, payload: { keys: ['verdict'] } }]);
    });
  });

  describe('time', () => {
    it.each([1_234, 987_654])('stamps every time from metadata.now (%d), never from a clock', (at) => {
      given([])
        .when(createRun(true, at))
        .then([runCreated(at, at)]);
      given([runCreated()])
        .when(finishRun(at))
        .then([runFinished(at)]);
      given([runCreated()])
        .when(failRun(at))
        .then([runFailed('NaN loss', at)]);
      given([runCreated()])
        .when(killRun('preempted', at))
        .then([runKilled('preempted', at)]);
    });
  });

  describe('evolve (what a replay rebuilds)', () => {
    const replay = (events: DomainEvent<RunLifecycleEvent>[]): RunState =>
      events.reduce(evolveRun, initialRunState);

    it('accumulates params, lets a later tag value win, and keeps the latest upload per artifact path', () => {
      expect(
        replay([
          runCreated(),
          paramsLogged({ optimizer: 'adam' }),
          paramsLogged({ batch_size: '64' }),
          tagsSet({ team: 'vision' }),
          tagsSet({ team: 'nlp', stage: 'dev' }),
          { type: 'run.tags_deleted', v: 1, payload: { keys: ['stage'] } },
          artifactLogged('model.pt'),
          artifactLogged('plots/loss.png'),
          artifactLogged('model.pt', digestB),
        ]),
      ).toEqual({
        status: 'running',
        runId,
        experimentId,
        name: 'baseline',
        createdAt: startedAt,
        startTime: startedAt,
        sweepId: null,
        parentRunId: null,
        deleted: false,
        note: '',
        context: null,
        inputs: [],
        params: { optimizer: 'adam', batch_size: '64' },
        tags: { team: 'nlp' },
        artifacts: {
          'model.pt': { size: 42, digest: digestB, contentType: 'application/octet-stream' },
          'plots/loss.png': { size: 42, digest: digestA, contentType: 'application/octet-stream' },
        },
      });
    });

    it.each([
      { ending: runFinished(), status: 'finished', failureReason: null },
      { ending: runFailed('NaN loss'), status: 'failed', failureReason: 'NaN loss' },
      { ending: runKilled('preempted'), status: 'killed', failureReason: 'preempted' },
      { ending: runKilled(null), status: 'killed', failureReason: null },
    ])('records the $status ending with its time and reason', ({ ending, status, failureReason }) => {
      expect(replay([runCreated(), ending])).toMatchObject({ status, endTime: endedAt, failureReason });
    });

    it('keeps tags set after the run ended', () => {
      expect(replay([runCreated(), runFinished(), tagsSet({ verdict: 'best' })])).toMatchObject({
        status: 'finished',
        tags: { verdict: 'best' },
      });
    });

    it('ignores events of a run that was never created', () => {
      expect(replay([paramsLogged({ lr: '0.01' }), tagsSet({ team: 'vision' }), runFinished()])).toEqual(
        initialRunState,
      );
    });
  });
});
