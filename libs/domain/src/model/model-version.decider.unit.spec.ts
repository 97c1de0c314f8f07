import fc from 'fast-check';
import { EventSchemas } from '../../../events/src/event-schemas';
import type { ModelEvent } from '../../../events/src/model-registry.events';
import type { DomainEvent } from '../../../events/src/run.events';
import { NotFoundError } from '../errors';
import { DeciderSpecification } from '../testing/decider-specification';
import { decideModel, type ModelCommand } from './model.decider';
import {
  deletedVersionsOf,
  evolveModel,
  initialModelState,
  versionTags,
  type LiveModelState,
  type ModelState,
} from './model.state';

const given = DeciderSpecification.for({
  decide: decideModel,
  evolve: evolveModel,
  initialState: initialModelState,
});

type Event = DomainEvent<ModelEvent>;

const created: Event = {
  type: 'model.created',
  v: 1,
  payload: { modelId: 'model-1', name: 'resnet', description: '', tags: {} },
};
const registered = (version: number): Event => ({
  type: 'model.version_registered',
  v: 1,
  payload: {
    version,
    runId: `run-${version}`,
    artifactPath: 'model/MLmodel',
    sha256: version.toString(16).padStart(64, '0'),
    description: `v${version}`,
  },
});
const withVersions = (n: number): Event[] => [
  created,
  ...Array.from({ length: n }, (_, i) => registered(i + 1)),
];
const tagsSet = (version: number, tags: Record<string, string>): Event => ({
  type: 'model.version_tags_set',
  v: 1,
  payload: { version, tags },
});
const aliasSet = (alias: string, version: number): Event => ({
  type: 'model.alias_set',
  v: 1,
  payload: { alias, version, previousVersion: null, reason: 'promote', approval: null },
});
const versionDeleted = (version: number, stage: 'None' | 'Production' = 'None'): Event => ({
  type: 'model.version_deleted',
  v: 1,
  payload: { version, stage, reason: 'leaked labels' },
});

function fold(events: Event[], meta = (index: number) => ({ actor: 'alice', at: index })): LiveModelState {
  const state = events.reduce<ModelState>(
    (s, event, index) => evolveModel(s, event, meta(index)),
    initialModelState,
  );
  if (state.status === 'absent') throw new Error('no model');
  return state;
}

describe("a model version's own record", () => {
  describe('SetVersionTags', () => {
    it('sets the tags that change, and only those', () => {
      given([...withVersions(2), tagsSet(2, { validated: 'yes', owner: 'ml' })])
        .when({ type: 'SetVersionTags', data: { version: 2, tags: { validated: 'yes', owner: 'data' } } })
        .then([tagsSet(2, { owner: 'data' })]);
    });

    it('setting what is already so decides nothing (a retry)', () => {
      given([...withVersions(1), tagsSet(1, { validated: 'yes' })])
        .when({ type: 'SetVersionTags', data: { version: 1, tags: { validated: 'yes' } } })
        .thenNothing();
    });

    it('an empty value is a value: setting it on a missing key is a change', () => {
      given(withVersions(1))
        .when({ type: 'SetVersionTags', data: { version: 1, tags: { note: '' } } })
        .then([tagsSet(1, { note: '' })]);
    });

    it('a tag named like an Object property is a tag like any other', () => {
      given(withVersions(1))
        .when({ type: 'SetVersionTags', data: { version: 1, tags: { constructor: 'x', toString: 'y' } } })
        .then([tagsSet(1, { constructor: 'x', toString: 'y' })]);
    });

    it('a version the model has not is not found, naming the field', () => {
      given(withVersions(1))
        .when({ type: 'SetVersionTags', data: { version: 2, tags: { a: 'b' } } })
        .thenThrows(NotFoundError, (error) => {
          expect(error.message).toMatch(/has no version 2/);
          expect(error.field).toBe('version');
        });
    });
  });

  describe('DeleteVersionTags', () => {
    it('deletes the keys the version has, once each', () => {
      given([...withVersions(1), tagsSet(1, { a: '1', b: '2' })])
        .when({ type: 'DeleteVersionTags', data: { version: 1, keys: ['b', 'b', 'missing'] } })
        .then([{ type: 'model.version_tags_deleted', v: 1, payload: { version: 1, keys: ['b'] } }]);
    });

    it('deleting keys the version has not decides nothing', () => {
      given(withVersions(1))
        .when({ type: 'DeleteVersionTags', data: { version: 1, keys: ['a'] } })
        .thenNothing();
    });
  });

  describe('DescribeVersion', () => {
    it('describes a version; the same description again decides nothing', () => {
      given(withVersions(1))
        .when({ type: 'DescribeVersion', data: { version: 1, description: 'retrained' } })
        .then([{ type: 'model.version_described', v: 1, payload: { version: 1, description: 'retrained' } }]);
      given(withVersions(1))
        .when({ type: 'DescribeVersion', data: { version: 1, description: 'v1' } })
        .thenNothing();
    });
  });

  describe('DeleteVersion', () => {
    it('removes the aliases that point at the version first, each an audited alias_deleted', () => {
      given([...withVersions(2), aliasSet('champion', 2), aliasSet('backup', 2), aliasSet('old', 1)])
        .when({ type: 'DeleteVersion', data: { version: 2, reason: 'leaked labels' } })
        .then([
          {
            type: 'model.alias_deleted',
            v: 1,
            payload: { alias: 'backup', previousVersion: 2, reason: 'version 2 deleted: leaked labels' },
          },
          {
            type: 'model.alias_deleted',
            v: 1,
            payload: { alias: 'champion', previousVersion: 2, reason: 'version 2 deleted: leaked labels' },
          },
          versionDeleted(2),
        ]);
    });

    it("keeps the alias removal's reason within what an event holds, whatever the deletion's reason", () => {
      const reason = '\u{1F600}'.repeat(8000);
      const events = decideModel(
        { type: 'DeleteVersion', data: { version: 1, reason } },
        fold([...withVersions(1), aliasSet('champion', 1)]),
      );
      const schemas = new EventSchemas();
      for (const event of events) expect(schemas.check(event.type, event.v, event.payload)).toBeNull();
      expect(events.map((event) => event.type)).toEqual(['model.alias_deleted', 'model.version_deleted']);
    });

    it('records the stage the version held', () => {
      const transitioned: Event = {
        type: 'model.stage_transitioned',
        v: 1,
        payload: {
          version: 1,
          stage: 'Production',
          previousStage: 'None',
          displacedVersion: null,
          reason: 'ship',
          approval: null,
        },
      };
      given([...withVersions(1), transitioned])
        .when({ type: 'DeleteVersion', data: { version: 1, reason: 'leaked labels' } })
        .then([versionDeleted(1, 'Production')]);
    });

    it('a deleted version is not found by any later command, and says it was deleted', () => {
      const after = [...withVersions(2), versionDeleted(2)];
      for (const command of [
        { type: 'DeleteVersion', data: { version: 2, reason: 'again' } },
        { type: 'SetVersionTags', data: { version: 2, tags: { a: 'b' } } },
        { type: 'DescribeVersion', data: { version: 2, description: 'x' } },
        { type: 'SetAlias', data: { alias: 'champion', version: 2, reason: 'r' } },
        { type: 'TransitionStage', data: { version: 2, stage: 'Staging', reason: 'r' } },
      ] satisfies ModelCommand[]) {
        given(after)
          .when(command)
          .thenThrows(NotFoundError, (error) => {
            expect(error.message).toMatch(/has no version 2 \(it was deleted\)/);
          });
      }
    });

    it("a deleted version's number is never given again", () => {
      given([...withVersions(3), versionDeleted(3)])
        .when({
          type: 'RegisterModelVersion',
          data: { runId: 'run-9', artifactPath: 'model/MLmodel', sha256: '0'.repeat(64), description: '' },
        })
        .then([
          {
            type: 'model.version_registered',
            v: 1,
            payload: {
              version: 4,
              runId: 'run-9',
              artifactPath: 'model/MLmodel',
              sha256: '0'.repeat(64),
              description: '',
            },
          },
        ]);
    });
  });

  describe('evolve', () => {
    it('keeps tags and description per version, stamping when they changed', () => {
      const state = fold([
        ...withVersions(2),
        tagsSet(1, { a: '1', b: '2' }),
        { type: 'model.version_tags_deleted', v: 1, payload: { version: 1, keys: ['a'] } },
        { type: 'model.version_described', v: 1, payload: { version: 2, description: 'best' } },
      ]);
      expect(versionTags(state.versions['1'])).toEqual({ b: '2' });
      expect(state.versions['1'].updatedAt).toBe(4);
      expect(versionTags(state.versions['2'])).toEqual({});
      expect(state.versions['2']).toMatchObject({ description: 'best', updatedAt: 5 });
    });

    it('a deleted version leaves versions for deletedVersions, with who and when', () => {
      const state = fold([...withVersions(2), tagsSet(2, { a: '1' }), versionDeleted(2)], (index) => ({
        actor: `user-${index}`,
        at: 100 + index,
      }));
      expect(Object.keys(state.versions)).toEqual(['1']);
      expect(deletedVersionsOf(state)['2']).toMatchObject({
        version: 2,
        tags: { a: '1' },
        deletedAt: 104,
        deletedBy: 'user-4',
      });
    });

    it('a state projected before versions had tags reads as versions without tags', () => {
      const old = fold(withVersions(1));
      delete old.versions['1'].tags;
      delete old.deletedVersions;
      expect(versionTags(old.versions['1'])).toEqual({});
      expect(deletedVersionsOf(old)).toEqual({});
      const tagged = evolveModel(old, tagsSet(1, { a: 'b' }));
      expect(tagged.status === 'active' && versionTags(tagged.versions['1'])).toEqual({ a: 'b' });
    });
  });

  it('any sequence of version commands decides only valid events, and numbers stay unique', () => {
    const schemas = new EventSchemas();
    const key = fc.constantFrom('a', 'b', 'toString', 'mlflow.source');
    const command: fc.Arbitrary<ModelCommand> = fc.oneof(
      fc.record({
        type: fc.constant('SetVersionTags' as const),
        data: fc.record({ version: fc.integer({ min: 1, max: 4 }), tags: fc.dictionary(key, fc.string()) }),
      }),
      fc.record({
        type: fc.constant('DeleteVersionTags' as const),
        data: fc.record({ version: fc.integer({ min: 1, max: 4 }), keys: fc.array(key, { minLength: 1 }) }),
      }),
      fc.record({
        type: fc.constant('DeleteVersion' as const),
        data: fc.record({ version: fc.integer({ min: 1, max: 4 }), reason: fc.constant('r') }),
      }),
      fc.record({
        type: fc.constant('RegisterModelVersion' as const),
        data: fc.constant({
          runId: 'run-1',
          artifactPath: 'MLmodel',
          sha256: '0'.repeat(64),
          description: '',
        }),
      }),
      fc.record({
        type: fc.constant('SetAlias' as const),
        data: fc.record({
          alias: fc.constantFrom('champion', 'backup'),
          version: fc.integer({ min: 1, max: 4 }),
          reason: fc.constant('r'),
        }),
      }),
    );
    fc.assert(
      fc.property(fc.array(command, { maxLength: 40 }), (commands) => {
        let state = fold(withVersions(2));
        const numbers = new Set(['1', '2']);
        for (const next of commands) {
          let decided: Event[];
          try {
            const replaces = next.type === 'SetAlias' ? (state.aliases[next.data.alias] ?? null) : undefined;
            decided = decideModel(
              next.type === 'SetAlias' ? { ...next, data: { ...next.data, replaces } } : next,
              state,
            );
          } catch (error) {
            expect(error).toBeInstanceOf(NotFoundError);
            continue;
          }
          for (const event of decided) {
            expect(schemas.check(event.type, event.v, event.payload)).toBeNull();
            const after = evolveModel(state, event);
            if (after.status === 'absent') throw new Error('the model vanished');
            state = after;
            if (event.type === 'model.version_registered') {
              expect(numbers.has(String(event.payload.version))).toBe(false);
              numbers.add(String(event.payload.version));
            }
          }
          // No alias points at a version that is not live, and no number is both live and deleted.
          for (const version of Object.values(state.aliases))
            expect(state.versions[String(version)]).toBeDefined();
          for (const number of Object.keys(deletedVersionsOf(state)))
            expect(state.versions[number]).toBeUndefined();
        }
      }),
      { numRuns: 300 },
    );
  });
});
