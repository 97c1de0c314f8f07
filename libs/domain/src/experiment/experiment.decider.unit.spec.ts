import type { DomainEvent, ExperimentCreated } from '../../../events/src/run.events';
import { IllegalTransition, NotFoundError } from '../errors';
import { DeciderSpecification } from '../testing/decider-specification';
import {
  decideExperiment,
  evolveExperiment,
  initialExperimentState,
  type ExperimentCommand,
} from './experiment.decider';

const given = DeciderSpecification.for({
  decide: decideExperiment,
  evolve: evolveExperiment,
  initialState: initialExperimentState,
});

const experimentId = 'exp-1';

const experimentCreated = (name = 'resnet-sweep'): DomainEvent<ExperimentCreated> => ({
  type: 'experiment.created',
  v: 1,
  payload: { experimentId, name },
});
const createExperiment = (name = 'resnet-sweep'): ExperimentCommand => ({
  type: 'CreateExperiment',
  data: { experimentId, name },
});

describe('experiment decider', () => {
  describe('when absent', () => {
    it('CreateExperiment creates the experiment', () => {
      given([]).when(createExperiment()).then([experimentCreated()]);
    });

    it('copies the command data, so the event does not share it with the caller', () => {
      const command = createExperiment();
      const [event] = decideExperiment(command, initialExperimentState);
      expect(event?.payload).toEqual(command.data);
      expect(event?.payload).not.toBe(command.data);
    });
  });

  describe('when active', () => {
    it('CreateExperiment again is an illegal transition on experimentId, whatever the name', () => {
      for (const name of ['resnet-sweep', 'another-name']) {
        given([experimentCreated()])
          .when(createExperiment(name))
          .thenThrows(IllegalTransition, (error) => {
            expect(error.code).toBe('illegal_transition');
            expect(error.field).toBe('experimentId');
            expect(error.message).toContain(experimentId);
          });
      }
    });
  });

  describe('rename, archive, restore', () => {
    const renamed = (name: string) => ({ type: 'experiment.renamed', v: 1, payload: { name } }) as const;
    const archived = { type: 'experiment.archived', v: 1, payload: {} } as const;
    const restored = { type: 'experiment.restored', v: 1, payload: {} } as const;
    const rename = (name: string): ExperimentCommand => ({
      type: 'RenameExperiment',
      data: { experimentId, name },
    });
    const archive: ExperimentCommand = { type: 'ArchiveExperiment', data: { experimentId } };
    const restore: ExperimentCommand = { type: 'RestoreExperiment', data: { experimentId } };

    it.each([rename('x'), archive, restore])(
      '$type on an unknown experiment is not_found on experimentId',
      (cmd) => {
        given([])
          .when(cmd)
          .thenThrows(NotFoundError, (error) => expect(error.field).toBe('experimentId'));
      },
    );

    it('renames; the same name again records nothing', () => {
      given([experimentCreated()])
        .when(rename('resnet-50 sweep'))
        .then([renamed('resnet-50 sweep')]);
      given([experimentCreated()]).when(rename('resnet-sweep')).thenNothing();
    });

    it('archives and restores; each again records nothing', () => {
      given([experimentCreated()]).when(archive).then([archived]);
      given([experimentCreated(), archived]).when(archive).thenNothing();
      given([experimentCreated(), archived]).when(restore).then([restored]);
      given([experimentCreated()]).when(restore).thenNothing();
    });

    it('an archived experiment can still be renamed', () => {
      given([experimentCreated(), archived])
        .when(rename('old'))
        .then([renamed('old')]);
    });

    it('evolve follows name and status', () => {
      const state = [experimentCreated(), renamed('b'), archived].reduce(
        evolveExperiment,
        initialExperimentState,
      );
      expect(state).toEqual({
        status: 'archived',
        experimentId,
        name: 'b',
        rawPointsMaxAgeDays: null,
        tags: {},
      });
      expect(evolveExperiment(state, restored)).toEqual({
        status: 'active',
        experimentId,
        name: 'b',
        rawPointsMaxAgeDays: null,
        tags: {},
      });
    });
  });

  describe('evolve (what a replay rebuilds)', () => {
    it('an experiment.created event makes the experiment active under its name', () => {
      expect(evolveExperiment(initialExperimentState, experimentCreated())).toEqual({
        status: 'active',
        experimentId,
        name: 'resnet-sweep',
        rawPointsMaxAgeDays: null,
        tags: {},
      });
    });
  });

  describe('retention of raw points', () => {
    const retain = (rawPointsMaxAgeDays: number | null): ExperimentCommand => ({
      type: 'SetExperimentRetention',
      data: { experimentId, rawPointsMaxAgeDays },
    });
    const retentionSet = (rawPointsMaxAgeDays: number | null) =>
      ({ type: 'experiment.retention_set', v: 1, payload: { rawPointsMaxAgeDays } }) as const;
    const archived = { type: 'experiment.archived', v: 1, payload: {} } as const;

    it('on an unknown experiment is not_found on experimentId', () => {
      given([])
        .when(retain(30))
        .thenThrows(NotFoundError, (error) => expect(error.field).toBe('experimentId'));
    });

    it('is off by default: switching it off again records nothing', () => {
      given([experimentCreated()]).when(retain(null)).thenNothing();
    });

    it('sets, changes and clears the age; the same age again records nothing', () => {
      given([experimentCreated()])
        .when(retain(30))
        .then([retentionSet(30)]);
      given([experimentCreated(), retentionSet(30)])
        .when(retain(30))
        .thenNothing();
      given([experimentCreated(), retentionSet(30)])
        .when(retain(7))
        .then([retentionSet(7)]);
      given([experimentCreated(), retentionSet(30)])
        .when(retain(null))
        .then([retentionSet(null)]);
    });

    it('applies to an archived experiment too: old experiments are what it is for', () => {
      given([experimentCreated(), archived])
        .when(retain(90))
        .then([retentionSet(90)]);
    });

    it('evolve keeps the age through rename and archive', () => {
      const state = [experimentCreated(), retentionSet(14), archived].reduce(
        evolveExperiment,
        initialExperimentState,
      );
      expect(state).toEqual({
        status: 'archived',
        experimentId,
        name: 'resnet-sweep',
        rawPointsMaxAgeDays: 14,
        tags: {},
      });
    });
  });

  describe('tags', () => {
    const setTags = (tags: Record<string, string>): ExperimentCommand => ({
      type: 'SetExperimentTags',
      data: { experimentId, tags },
    });
    const deleteTags = (keys: string[]): ExperimentCommand => ({
      type: 'DeleteExperimentTags',
      data: { experimentId, keys },
    });
    const tagsSet = (tags: Record<string, string>) =>
      ({ type: 'experiment.tags_set', v: 1, payload: { tags } }) as const;
    const tagsDeleted = (keys: string[]) =>
      ({ type: 'experiment.tags_deleted', v: 1, payload: { keys } }) as const;

    it('on an unknown experiment are not_found on experimentId', () => {
      given([])
        .when(setTags({ a: '1' }))
        .thenThrows(NotFoundError, (error) => expect(error.field).toBe('experimentId'));
    });

    it('records only the keys that change; setting what is set, or deleting what is not, records nothing', () => {
      given([experimentCreated()])
        .when(setTags({ team: 'vision', note: '' }))
        .then([tagsSet({ team: 'vision', note: '' })]);
      given([experimentCreated(), tagsSet({ team: 'vision' })])
        .when(setTags({ team: 'vision', stage: 'dev' }))
        .then([tagsSet({ stage: 'dev' })]);
      given([experimentCreated(), tagsSet({ team: 'vision' })])
        .when(setTags({ team: 'vision' }))
        .thenNothing();
      given([experimentCreated(), tagsSet({ team: 'vision', b: '1' })])
        .when(deleteTags(['team', 'missing', 'team', 'b']))
        .then([tagsDeleted(['b', 'team'])]);
      given([experimentCreated()])
        .when(deleteTags(['missing']))
        .thenNothing();
    });

    it("an archived experiment's tags stay as they were: a change is refused on experimentId, a retry decides nothing", () => {
      const archived = [
        experimentCreated(),
        tagsSet({ team: 'vision' }),
        { type: 'experiment.archived', v: 1, payload: {} } as const,
      ];
      for (const command of [setTags({ team: 'audio' }), setTags({ toString: 'x' }), deleteTags(['team'])]) {
        given(archived)
          .when(command)
          .thenThrows(IllegalTransition, (error) => {
            expect(error.field).toBe('experimentId');
            expect(error.message).toMatch(/archived: restore it/);
          });
      }
      // What an import sends again after archiving what it imported: already so, so nothing to refuse.
      given(archived)
        .when(setTags({ team: 'vision' }))
        .thenNothing();
      given(archived)
        .when(deleteTags(['missing']))
        .thenNothing();
    });

    it('evolve applies sets and deletes in order, on an archived experiment too', () => {
      const state = [
        experimentCreated(),
        { type: 'experiment.archived', v: 1, payload: {} } as const,
        tagsSet({ a: '1', b: '2' }),
        tagsDeleted(['a']),
        tagsSet({ b: '3' }),
      ].reduce(evolveExperiment, initialExperimentState);
      expect(state).toMatchObject({ status: 'archived', tags: { b: '3' } });
    });
  });
});
