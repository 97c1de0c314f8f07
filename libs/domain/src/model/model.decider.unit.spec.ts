import fc from 'fast-check';
import { EventSchemas } from '../../../events/src/event-schemas';
import {
  MODEL_STAGES,
  type ModelEvent,
  type ModelStage,
  type PromotionTarget,
  type UsedApproval,
} from '../../../events/src/model-registry.events';
import type { DomainEvent } from '../../../events/src/run.events';
import {
  ApprovalRequiredError,
  ForbiddenError,
  IllegalTransition,
  NotFoundError,
  PromotionConflictError,
} from '../errors';
import { DeciderSpecification } from '../testing/decider-specification';
import { decideModel, type ModelCommand } from './model.decider';
import {
  evolveModel,
  holderOfStage,
  initialModelState,
  type EventMeta,
  type LiveModelState,
  type ModelState,
} from './model.state';

const given = DeciderSpecification.for({
  decide: decideModel,
  evolve: evolveModel,
  initialState: initialModelState,
});

type Event = DomainEvent<ModelEvent>;

const modelId = 'model-1';
const sha = (n: number) => n.toString(16).padStart(64, '0');
const APPROVAL = '11111111-2222-4333-8444-555555555555';
const OTHER_APPROVAL = '66666666-7777-4888-9999-aaaaaaaaaaaa';

// ---- events ----------------------------------------------------------------------------------------------------

const created = (name = 'resnet', tags: Record<string, string> = { team: 'vision' }): Event => ({
  type: 'model.created',
  v: 1,
  payload: { modelId, name, description: 'an image classifier', tags },
});
const registered = (version: number): Event => ({
  type: 'model.version_registered',
  v: 1,
  payload: {
    version,
    runId: `run-${version}`,
    artifactPath: 'model/model.pt',
    sha256: sha(version),
    description: `v${version}`,
  },
});
/** The model with versions 1..n registered, all in stage None. */
const withVersions = (n: number): Event[] => [
  created(),
  ...Array.from({ length: n }, (_, i) => registered(i + 1)),
];
const deleted: Event = { type: 'model.deleted', v: 1, payload: { reason: 'superseded' } };
const tagsSet = (tags: Record<string, string>): Event => ({
  type: 'model.tags_set',
  v: 1,
  payload: { tags },
});
const tagsDeleted = (keys: string[]): Event => ({ type: 'model.tags_deleted', v: 1, payload: { keys } });
const aliasSet = (
  alias: string,
  version: number,
  previousVersion: number | null = null,
  approval: UsedApproval | null = null,
  reason = 'promote',
): Event => ({
  type: 'model.alias_set',
  v: 1,
  payload: { alias, version, previousVersion, reason, approval },
});
const staged = (
  version: number,
  stage: ModelStage,
  previousStage: ModelStage = 'None',
  displacedVersion: number | null = null,
  approval: UsedApproval | null = null,
  reason = 'promote',
): Event => ({
  type: 'model.stage_transitioned',
  v: 1,
  payload: { version, stage, previousStage, displacedVersion, reason, approval },
});
/** The displaced holder's own move to Archived, as the decider appends it. */
const displaced = (holder: number, from: ModelStage, by: number): Event => ({
  type: 'model.stage_transitioned',
  v: 1,
  payload: {
    version: holder,
    stage: 'Archived',
    previousStage: from,
    displacedVersion: null,
    reason: `displaced from ${from} by version ${by}`,
    approval: null,
  },
});
const policySet = (stages: ModelStage[], aliases: string[]): Event => ({
  type: 'model.policy_set',
  v: 1,
  payload: { approvalRequired: { stages, aliases } },
});
const approvalRequested = (
  version: number,
  target: PromotionTarget,
  requestedBy = 'alice',
  approvalId = APPROVAL,
): Event => ({
  type: 'model.approval_requested',
  v: 1,
  payload: { approvalId, version, target, reason: 'ready for prod', requestedBy },
});
const approvalGranted = (approvedBy = 'bob', approvalId = APPROVAL, comment = 'lgtm'): Event => ({
  type: 'model.approval_granted',
  v: 1,
  payload: { approvalId, approvedBy, comment },
});
const approvalRejected = (rejectedBy = 'bob', approvalId = APPROVAL, comment = 'not yet'): Event => ({
  type: 'model.approval_rejected',
  v: 1,
  payload: { approvalId, rejectedBy, comment },
});

// ---- commands --------------------------------------------------------------------------------------------------

const createModel = (name = 'resnet', tags: Record<string, string> = { team: 'vision' }): ModelCommand => ({
  type: 'CreateModel',
  data: { modelId, name, description: 'an image classifier', tags },
});
const register = (runId = 'run-9'): ModelCommand => ({
  type: 'RegisterModelVersion',
  data: { runId, artifactPath: 'model/model.pt', sha256: sha(9), description: 'candidate' },
});
const setAlias = (
  alias: string,
  version: number,
  extra: { replaces?: number | null; approvalId?: string } = {},
): ModelCommand => ({ type: 'SetAlias', data: { alias, version, reason: 'promote', ...extra } });
const transition = (
  version: number,
  stage: ModelStage,
  extra: { replaces?: number | null; approvalId?: string } = {},
): ModelCommand => ({ type: 'TransitionStage', data: { version, stage, reason: 'promote', ...extra } });
const requestApproval = (
  version: number,
  target: PromotionTarget,
  actor = 'alice',
  approvalId = APPROVAL,
): ModelCommand => ({
  type: 'RequestApproval',
  data: { approvalId, version, target, reason: 'ready for prod', actor },
});
const approve = (actor = 'bob', approvalId = APPROVAL): ModelCommand => ({
  type: 'ApproveRequest',
  data: { approvalId, comment: 'lgtm', actor },
});
const reject = (actor = 'bob', approvalId = APPROVAL): ModelCommand => ({
  type: 'RejectRequest',
  data: { approvalId, comment: 'not yet', actor },
});

/** Every command but CreateModel, each valid against a model with version 1 and approval APPROVAL pending. */
const everyOtherCommand: ModelCommand[] = [
  { type: 'RenameModel', data: { name: 'other' } },
  { type: 'DescribeModel', data: { description: 'other' } },
  { type: 'SetModelTags', data: { tags: { a: 'b' } } },
  { type: 'DeleteModelTags', data: { keys: ['team'] } },
  { type: 'DeleteModel', data: { reason: 'gone' } },
  { type: 'SetApprovalPolicy', data: { stages: ['Production'], aliases: [] } },
  register(),
  setAlias('champion', 1),
  { type: 'DeleteAlias', data: { alias: 'champion', reason: 'gone' } },
  transition(1, 'Staging'),
  requestApproval(1, { kind: 'stage', stage: 'Production' }),
  approve(),
  reject(),
];

/** Folds events as the projection does, each with its own actor and time. */
const fold = (events: Event[], meta?: (index: number) => EventMeta): ModelState =>
  events.reduce<ModelState>(
    (state, event, index) => evolveModel(state, event, meta?.(index)),
    initialModelState,
  );
const live = (state: ModelState): LiveModelState => {
  if (state.status === 'absent') throw new Error('expected a model');
  return state;
};

describe('model decider', () => {
  describe('CreateModel', () => {
    it('creates an absent model', () => {
      given([]).when(createModel()).then([created()]);
    });

    it('copies the tags, so the event does not share them with the caller', () => {
      const command = createModel('resnet', { team: 'vision' });
      const [event] = decideModel(command, initialModelState);
      expect(event?.type).toBe('model.created');
      if (event?.type !== 'model.created' || command.type !== 'CreateModel') throw new Error('unreachable');
      expect(event.payload.tags).toEqual(command.data.tags);
      expect(event.payload.tags).not.toBe(command.data.tags);
    });

    it('on an existing model is an illegal transition on modelId, whatever the name', () => {
      for (const name of ['resnet', 'another']) {
        given([created()])
          .when(createModel(name))
          .thenThrows(IllegalTransition, (error) => {
            expect(error.code).toBe('illegal_transition');
            expect(error.field).toBe('modelId');
            expect(error.message).toContain(modelId);
          });
      }
    });

    it('on a deleted model is an illegal transition too: a model id is never reused', () => {
      given([created(), deleted])
        .when(createModel())
        .thenThrows(IllegalTransition, (error) => expect(error.field).toBe('modelId'));
    });
  });

  describe('on an absent model', () => {
    it.each(everyOtherCommand)('$type is not_found', (command) => {
      given([])
        .when(command)
        .thenThrows(NotFoundError, (error) => {
          expect(error.code).toBe('not_found');
          expect(error.field).toBe('name');
          expect(error.message).toBe('the model does not exist');
        });
    });
  });

  describe('on a deleted model', () => {
    it.each(everyOtherCommand)('$type is not_found, naming the model', (command) => {
      given([...withVersions(1), approvalRequested(1, { kind: 'stage', stage: 'Production' }), deleted])
        .when(command)
        .thenThrows(NotFoundError, (error) => {
          expect(error.field).toBe('name');
          expect(error.message).toBe('model "resnet" was deleted');
        });
    });
  });

  describe('name, description, tags', () => {
    it('renames, carrying the previous name; the same name again decides nothing', () => {
      given([created()])
        .when({ type: 'RenameModel', data: { name: 'resnet-50' } })
        .then([{ type: 'model.renamed', v: 1, payload: { name: 'resnet-50', previousName: 'resnet' } }]);
      given([created()])
        .when({ type: 'RenameModel', data: { name: 'resnet' } })
        .thenNothing();
    });

    it('describes; the same description again decides nothing', () => {
      given([created()])
        .when({ type: 'DescribeModel', data: { description: 'better' } })
        .then([{ type: 'model.described', v: 1, payload: { description: 'better' } }]);
      given([created()])
        .when({ type: 'DescribeModel', data: { description: 'an image classifier' } })
        .thenNothing();
    });

    it('tags_set carries only the keys whose value changes', () => {
      given([created('resnet', { team: 'vision', owner: 'alice' })])
        .when({ type: 'SetModelTags', data: { tags: { team: 'vision', owner: 'bob', tier: 'gold' } } })
        .then([tagsSet({ owner: 'bob', tier: 'gold' })]);
    });

    it('setting tags to the values they have decides nothing', () => {
      given([created('resnet', { team: 'vision', owner: 'alice' })])
        .when({ type: 'SetModelTags', data: { tags: { owner: 'alice', team: 'vision' } } })
        .thenNothing();
      given([created()])
        .when({ type: 'SetModelTags', data: { tags: {} } })
        .thenNothing();
    });

    it('tags_set sees tags set by earlier events', () => {
      given([created(), tagsSet({ tier: 'gold' })])
        .when({ type: 'SetModelTags', data: { tags: { tier: 'gold', team: 'nlp' } } })
        .then([tagsSet({ team: 'nlp' })]);
    });

    it('tags_deleted carries only keys the model has, each once', () => {
      given([created('resnet', { team: 'vision', owner: 'alice' })])
        .when({ type: 'DeleteModelTags', data: { keys: ['owner', 'missing', 'owner'] } })
        .then([tagsDeleted(['owner'])]);
    });

    it('deleting tags the model does not have decides nothing', () => {
      given([created('resnet', { team: 'vision' })])
        .when({ type: 'DeleteModelTags', data: { keys: ['missing', 'other'] } })
        .thenNothing();
      given([created('resnet', { team: 'vision' }), tagsDeleted(['team'])])
        .when({ type: 'DeleteModelTags', data: { keys: ['team'] } })
        .thenNothing();
      given([created()])
        .when({ type: 'DeleteModelTags', data: { keys: [] } })
        .thenNothing();
    });

    it('deletes the model', () => {
      given([created()])
        .when({ type: 'DeleteModel', data: { reason: 'superseded' } })
        .then([deleted]);
    });
  });

  describe('approval policy', () => {
    it('sets a policy; the same policy again decides nothing', () => {
      given([created()])
        .when({ type: 'SetApprovalPolicy', data: { stages: ['Production'], aliases: ['champion'] } })
        .then([policySet(['Production'], ['champion'])]);
      given([created(), policySet(['Production'], ['champion'])])
        .when({ type: 'SetApprovalPolicy', data: { stages: ['Production'], aliases: ['champion'] } })
        .thenNothing();
    });

    it('the default policy is empty: setting it decides nothing', () => {
      given([created()])
        .when({ type: 'SetApprovalPolicy', data: { stages: [], aliases: [] } })
        .thenNothing();
    });

    it('clears a policy', () => {
      given([created(), policySet(['Production'], ['champion'])])
        .when({ type: 'SetApprovalPolicy', data: { stages: [], aliases: [] } })
        .then([policySet([], [])]);
    });
  });

  describe('RegisterModelVersion', () => {
    it('numbers versions 1, 2, 3', () => {
      const expected = (version: number): Event => ({
        type: 'model.version_registered',
        v: 1,
        payload: {
          version,
          runId: 'run-9',
          artifactPath: 'model/model.pt',
          sha256: sha(9),
          description: 'candidate',
        },
      });
      given(withVersions(0))
        .when(register())
        .then([expected(1)]);
      given(withVersions(1))
        .when(register())
        .then([expected(2)]);
      given(withVersions(2))
        .when(register())
        .then([expected(3)]);
    });

    it('numbers after the highest version, whatever their order in the log', () => {
      const state = fold([created(), registered(1), registered(7), registered(3)]);
      const [event] = decideModel(register(), state);
      expect(event?.payload).toMatchObject({ version: 8 });
    });
  });

  describe('SetAlias', () => {
    it('to an unknown version is not_found on version', () => {
      given(withVersions(2))
        .when(setAlias('champion', 3))
        .thenThrows(NotFoundError, (error) => {
          expect(error.field).toBe('version');
          expect(error.message).toBe('model "resnet" has no version 3');
        });
    });

    it('a free alias without replaces is set, previousVersion null', () => {
      given(withVersions(2))
        .when(setAlias('champion', 2))
        .then([aliasSet('champion', 2, null)]);
    });

    it('a free alias with replaces: null explicitly is set too', () => {
      given(withVersions(2))
        .when(setAlias('champion', 2, { replaces: null }))
        .then([aliasSet('champion', 2, null)]);
    });

    it('a free alias with replaces naming a version is a conflict: it says the alias is free', () => {
      given(withVersions(2))
        .when(setAlias('champion', 2, { replaces: 1 }))
        .thenThrows(PromotionConflictError, (error) => {
          expect(error.code).toBe('promotion_conflict');
          expect(error.field).toBe('replaces');
          expect(error.message).toContain('alias "champion" of model "resnet" is free');
          expect(error.message).toContain('expected it held by version 1');
        });
    });

    it('an alias held by another version, without replaces, is a conflict naming the holder', () => {
      given([...withVersions(3), aliasSet('champion', 1)])
        .when(setAlias('champion', 3))
        .thenThrows(PromotionConflictError, (error) => {
          expect(error.field).toBe('replaces');
          expect(error.message).toContain('is held by version 1');
          expect(error.message).toContain('the promotion of version 3 expected it free');
        });
    });

    it('an alias held by another version, with replaces naming a third one, is a conflict naming the holder', () => {
      given([...withVersions(3), aliasSet('champion', 1)])
        .when(setAlias('champion', 3, { replaces: 2 }))
        .thenThrows(PromotionConflictError, (error) => {
          expect(error.message).toContain('is held by version 1');
          expect(error.message).toContain('expected it held by version 2');
        });
    });

    it('with replaces naming the holder, moves the alias and carries previousVersion', () => {
      given([...withVersions(3), aliasSet('champion', 1)])
        .when(setAlias('champion', 3, { replaces: 1 }))
        .then([aliasSet('champion', 3, 1)]);
    });

    it('an alias already on that version decides nothing, whatever replaces says', () => {
      for (const replaces of [undefined, null, 1, 2]) {
        given([...withVersions(2), aliasSet('champion', 2)])
          .when(setAlias('champion', 2, { replaces }))
          .thenNothing();
      }
    });

    it('aliases are independent of each other', () => {
      given([...withVersions(2), aliasSet('champion', 1)])
        .when(setAlias('challenger', 1))
        .then([aliasSet('challenger', 1)]);
    });

    it('evolve points the alias at the version', () => {
      const state = live(fold([...withVersions(3), aliasSet('champion', 1), aliasSet('champion', 3, 1)]));
      expect(state.aliases).toEqual({ champion: 3 });
    });
  });

  describe('DeleteAlias', () => {
    it('deletes an alias, carrying the version it pointed at', () => {
      given([...withVersions(2), aliasSet('champion', 2)])
        .when({ type: 'DeleteAlias', data: { alias: 'champion', reason: 'rollback' } })
        .then([
          {
            type: 'model.alias_deleted',
            v: 1,
            payload: { alias: 'champion', reason: 'rollback', previousVersion: 2 },
          },
        ]);
    });

    it('deleting an alias that is not set decides nothing', () => {
      given(withVersions(2))
        .when({ type: 'DeleteAlias', data: { alias: 'champion', reason: 'rollback' } })
        .thenNothing();
    });

    it('evolve forgets the alias, so it is free again', () => {
      const aliasDeleted: Event = {
        type: 'model.alias_deleted',
        v: 1,
        payload: { alias: 'champion', previousVersion: 2, reason: 'rollback' },
      };
      given([...withVersions(2), aliasSet('champion', 2), aliasDeleted])
        .when(setAlias('champion', 1))
        .then([aliasSet('champion', 1)]);
    });
  });

  describe('TransitionStage', () => {
    it('of an unknown version is not_found on version', () => {
      given(withVersions(1))
        .when(transition(2, 'Production'))
        .thenThrows(NotFoundError, (error) => expect(error.field).toBe('version'));
    });

    it.each(['Staging', 'Production'] as const)('moves a version to a free %s', (stage) => {
      given(withVersions(2))
        .when(transition(2, stage))
        .then([staged(2, stage, 'None', null)]);
    });

    it('carries the stage the version leaves', () => {
      given([...withVersions(2), staged(2, 'Staging')])
        .when(transition(2, 'Production'))
        .then([staged(2, 'Production', 'Staging', null)]);
    });

    it('with replaces naming the holder: the promotion, then the holder moved to Archived', () => {
      given([...withVersions(2), staged(1, 'Production')])
        .when(transition(2, 'Production', { replaces: 1 }))
        .then([staged(2, 'Production', 'None', 1), displaced(1, 'Production', 2)]);
    });

    it('from Staging to a held Production: both events, and Staging is left free', () => {
      const events = [...withVersions(2), staged(1, 'Production'), staged(2, 'Staging')];
      given(events)
        .when(transition(2, 'Production', { replaces: 1 }))
        .then([staged(2, 'Production', 'Staging', 1), displaced(1, 'Production', 2)]);
      const after = live(
        fold([...events, staged(2, 'Production', 'Staging', 1), displaced(1, 'Production', 2)]),
      );
      expect(holderOfStage(after, 'Production')).toBe(2);
      expect(holderOfStage(after, 'Staging')).toBeNull();
      expect(after.versions['1']?.stage).toBe('Archived');
    });

    it.each(['Staging', 'Production'] as const)(
      'a held %s without replaces is a conflict naming the holder',
      (stage) => {
        given([...withVersions(3), staged(2, stage)])
          .when(transition(3, stage))
          .thenThrows(PromotionConflictError, (error) => {
            expect(error.code).toBe('promotion_conflict');
            expect(error.field).toBe('replaces');
            expect(error.message).toBe(
              `stage ${stage} of model "resnet" is held by version 2; the promotion of version 3 expected it free`,
            );
          });
      },
    );

    it('a held stage with replaces naming another version is a conflict naming the holder', () => {
      given([...withVersions(3), staged(2, 'Production')])
        .when(transition(3, 'Production', { replaces: 1 }))
        .thenThrows(PromotionConflictError, (error) => {
          expect(error.message).toContain('is held by version 2');
          expect(error.message).toContain('expected it held by version 1');
        });
    });

    it('a free stage with replaces naming a version is a conflict saying it is free', () => {
      given(withVersions(3))
        .when(transition(3, 'Production', { replaces: 1 }))
        .thenThrows(PromotionConflictError, (error) => {
          expect(error.message).toContain('stage Production of model "resnet" is free');
        });
    });

    it('of the losing one of two concurrent promotions that expected the same holder is a conflict', () => {
      const base = [...withVersions(3), staged(1, 'Production')];
      // Version 2 wins; version 3's promotion, decided next in log order, still expects version 1.
      given([...base, staged(2, 'Production', 'None', 1), displaced(1, 'Production', 2)])
        .when(transition(3, 'Production', { replaces: 1 }))
        .thenThrows(PromotionConflictError, (error) => expect(error.message).toContain('held by version 2'));
    });

    it.each(['None', 'Archived'] as const)(
      'to %s has no holder: no check of replaces, nobody displaced',
      (stage) => {
        const events = [...withVersions(3), staged(1, stage), staged(2, 'Production'), staged(3, 'Staging')];
        for (const replaces of [undefined, null, 1, 3]) {
          given(events)
            .when(transition(2, stage, { replaces }))
            .then([staged(2, stage, 'Production', null)]);
        }
        given(events)
          .when(transition(3, stage, { replaces: 2 }))
          .then([staged(3, stage, 'Staging', null)]);
      },
    );

    it('to the stage the version is in decides nothing, whatever replaces says', () => {
      for (const stage of MODEL_STAGES) {
        const events = stage === 'None' ? withVersions(2) : [...withVersions(2), staged(2, stage)];
        for (const replaces of [undefined, null, 1, 2]) {
          given(events)
            .when(transition(2, stage, { replaces }))
            .thenNothing();
        }
      }
    });

    it('an archived version can be promoted again', () => {
      given([...withVersions(2), staged(1, 'Archived')])
        .when(transition(1, 'Staging'))
        .then([staged(1, 'Staging', 'Archived', null)]);
    });

    it('evolve moves the version and stamps who moved it and when', () => {
      const events = [...withVersions(1), staged(1, 'Staging')];
      const state = live(fold(events, (index) => ({ actor: `user-${index}`, at: 1000 + index })));
      expect(state.versions['1']).toMatchObject({
        stage: 'Staging',
        registeredBy: 'user-1',
        registeredAt: 1001,
        stageChangedBy: 'user-2',
        stageChangedAt: 1002,
      });
      expect(state.updatedAt).toBe(1002);
    });
  });

  describe('holderOfStage', () => {
    it('is the version in the stage, or null', () => {
      const state = live(fold([...withVersions(3), staged(2, 'Staging'), staged(3, 'Production')]));
      expect(holderOfStage(state, 'Staging')).toBe(2);
      expect(holderOfStage(state, 'Production')).toBe(3);
      expect(holderOfStage(live(fold(withVersions(3))), 'Production')).toBeNull();
    });
  });

  describe('promotions under an approval policy', () => {
    const policy = policySet(['Production'], ['champion']);
    const production: PromotionTarget = { kind: 'stage', stage: 'Production' };
    const champion: PromotionTarget = { kind: 'alias', alias: 'champion' };
    const used: UsedApproval = {
      approvalId: APPROVAL,
      requestedBy: 'alice',
      approvedBy: 'bob',
      comment: 'lgtm',
    };
    const base = [...withVersions(2), policy];

    it('a promotion the policy names, without approvalId, is approval_required on approvalId', () => {
      for (const command of [transition(2, 'Production'), setAlias('champion', 2)]) {
        given(base)
          .when(command)
          .thenThrows(ApprovalRequiredError, (error) => {
            expect(error.code).toBe('approval_required');
            expect(error.field).toBe('approvalId');
            expect(error.message).toContain('needs an approved request to move version 2');
          });
      }
    });

    it('a promotion the policy does not name needs no approval', () => {
      given(base)
        .when(transition(2, 'Staging'))
        .then([staged(2, 'Staging')]);
      given(base)
        .when(setAlias('challenger', 2))
        .then([aliasSet('challenger', 2)]);
    });

    it('a retry of a promotion already done decides nothing, even without approval', () => {
      given([...base, staged(2, 'Production', 'None', null, used)])
        .when(transition(2, 'Production'))
        .thenNothing();
      given([...base, aliasSet('champion', 2, null, used)])
        .when(setAlias('champion', 2))
        .thenNothing();
    });

    it('RequestApproval records the request, by the actor', () => {
      given(base)
        .when(requestApproval(2, production))
        .then([approvalRequested(2, production)]);
      given(base)
        .when(requestApproval(1, champion, 'carol', OTHER_APPROVAL))
        .then([approvalRequested(1, champion, 'carol', OTHER_APPROVAL)]);
    });

    it('RequestApproval for an unknown version is not_found on version', () => {
      given(base)
        .when(requestApproval(3, production))
        .thenThrows(NotFoundError, (error) => expect(error.field).toBe('version'));
    });

    it('the requester cannot approve or reject their own request', () => {
      for (const command of [approve('alice'), reject('alice')]) {
        given([...base, approvalRequested(2, production, 'alice')])
          .when(command)
          .thenThrows(ForbiddenError, (error) => {
            expect(error.code).toBe('forbidden');
            expect(error.field).toBe('approvalId');
            expect(error.message).toContain('another user must decide it');
          });
      }
    });

    it('another user approves, or rejects', () => {
      given([...base, approvalRequested(2, production, 'alice')])
        .when(approve('bob'))
        .then([approvalGranted('bob')]);
      given([...base, approvalRequested(2, production, 'alice')])
        .when(reject('bob'))
        .then([approvalRejected('bob')]);
    });

    it('an approved request lets the promotion through, and its event carries the approval', () => {
      const approved = [...base, approvalRequested(2, production), approvalGranted()];
      given(approved)
        .when(transition(2, 'Production', { approvalId: APPROVAL }))
        .then([staged(2, 'Production', 'None', null, used)]);
      const aliasApproved = [...base, approvalRequested(2, champion), approvalGranted()];
      given(aliasApproved)
        .when(setAlias('champion', 2, { approvalId: APPROVAL }))
        .then([aliasSet('champion', 2, null, used)]);
    });

    it('the displaced holder moves to Archived without approval of its own', () => {
      given([...base, staged(1, 'Production'), approvalRequested(2, production), approvalGranted()])
        .when(transition(2, 'Production', { replaces: 1, approvalId: APPROVAL }))
        .then([staged(2, 'Production', 'None', 1, used), displaced(1, 'Production', 2)]);
    });

    it('an approval is used once: a second promotion with it is approval_required (used)', () => {
      const approved = [...base, approvalRequested(2, champion), approvalGranted()];
      const afterUse = [...approved, aliasSet('champion', 2, null, used)];
      expect(live(fold(afterUse)).approvals[APPROVAL]?.status).toBe('used');
      const deletedAlias: Event = {
        type: 'model.alias_deleted',
        v: 1,
        payload: { alias: 'champion', previousVersion: 2, reason: 'rollback' },
      };
      given([...afterUse, deletedAlias])
        .when(setAlias('champion', 2, { approvalId: APPROVAL }))
        .thenThrows(ApprovalRequiredError, (error) => {
          expect(error.field).toBe('approvalId');
          expect(error.message).toBe(`approval request ${APPROVAL} is used`);
        });
    });

    it('a used stage approval cannot bring the version back to the stage either', () => {
      const approved = [...base, approvalRequested(2, production), approvalGranted()];
      given([
        ...approved,
        staged(2, 'Production', 'None', null, used),
        staged(2, 'Archived', 'Production', null),
      ])
        .when(transition(2, 'Production', { approvalId: APPROVAL }))
        .thenThrows(ApprovalRequiredError, (error) => expect(error.message).toContain('is used'));
    });

    it('an approval for another version is approval_required', () => {
      given([...base, approvalRequested(1, production), approvalGranted()])
        .when(transition(2, 'Production', { approvalId: APPROVAL }))
        .thenThrows(ApprovalRequiredError, (error) => {
          expect(error.field).toBe('approvalId');
          expect(error.message).toBe(
            `approval request ${APPROVAL} is for version 1 to stage Production, not version 2 to stage Production`,
          );
        });
    });

    it('an approval for another target is approval_required', () => {
      const cases: [PromotionTarget, ModelCommand][] = [
        [champion, transition(2, 'Production', { approvalId: APPROVAL })],
        [production, setAlias('champion', 2, { approvalId: APPROVAL })],
        [{ kind: 'stage', stage: 'Staging' }, transition(2, 'Production', { approvalId: APPROVAL })],
        [{ kind: 'alias', alias: 'challenger' }, setAlias('champion', 2, { approvalId: APPROVAL })],
      ];
      for (const [target, command] of cases) {
        given([...base, approvalRequested(2, target), approvalGranted()])
          .when(command)
          .thenThrows(ApprovalRequiredError, (error) =>
            expect(error.message).toContain('is for version 2 to'),
          );
      }
    });

    it('a pending or rejected approval is approval_required', () => {
      given([...base, approvalRequested(2, production)])
        .when(transition(2, 'Production', { approvalId: APPROVAL }))
        .thenThrows(ApprovalRequiredError, (error) =>
          expect(error.message).toBe(`approval request ${APPROVAL} is pending`),
        );
      given([...base, approvalRequested(2, production), approvalRejected()])
        .when(transition(2, 'Production', { approvalId: APPROVAL }))
        .thenThrows(ApprovalRequiredError, (error) =>
          expect(error.message).toBe(`approval request ${APPROVAL} is rejected`),
        );
    });

    it('an unknown approvalId is not_found on approvalId, in a promotion or a decision', () => {
      for (const command of [
        transition(2, 'Production', { approvalId: OTHER_APPROVAL }),
        setAlias('champion', 2, { approvalId: OTHER_APPROVAL }),
        approve('bob', OTHER_APPROVAL),
        reject('bob', OTHER_APPROVAL),
      ]) {
        given([...base, approvalRequested(2, production), approvalGranted()])
          .when(command)
          .thenThrows(NotFoundError, (error) => {
            expect(error.field).toBe('approvalId');
            expect(error.message).toBe(`model "resnet" has no approval request ${OTHER_APPROVAL}`);
          });
      }
    });

    it('an approval brought where the policy asks none is still checked, and recorded', () => {
      const staging: PromotionTarget = { kind: 'stage', stage: 'Staging' };
      given([...base, approvalRequested(2, staging), approvalGranted()])
        .when(transition(2, 'Staging', { approvalId: APPROVAL }))
        .then([staged(2, 'Staging', 'None', null, used)]);
      given([...base, approvalRequested(2, staging)])
        .when(transition(2, 'Staging', { approvalId: APPROVAL }))
        .thenThrows(ApprovalRequiredError);
    });

    it('a request is decided once: approving or rejecting it again is an illegal transition', () => {
      const requested = [...base, approvalRequested(2, production)];
      for (const decided of [approvalGranted(), approvalRejected()]) {
        for (const command of [approve('bob'), approve('carol'), reject('carol'), approve('alice')]) {
          given([...requested, decided])
            .when(command)
            .thenThrows(IllegalTransition, (error) => {
              expect(error.field).toBe('approvalId');
              expect(error.message).toContain('is already');
            });
        }
      }
      given([...requested, approvalGranted(), staged(2, 'Production', 'None', null, used)])
        .when(approve('carol'))
        .thenThrows(IllegalTransition, (error) => expect(error.message).toContain('is already used'));
    });

    it('evolve records the request and its decision with who and when', () => {
      const events = [...base, approvalRequested(2, production), approvalGranted()];
      const state = live(fold(events, (index) => ({ actor: `user-${index}`, at: 100 * index })));
      expect(state.policy).toEqual({ stages: ['Production'], aliases: ['champion'] });
      expect(state.approvals[APPROVAL]).toEqual({
        approvalId: APPROVAL,
        version: 2,
        target: production,
        reason: 'ready for prod',
        requestedBy: 'alice',
        requestedAt: 400,
        status: 'approved',
        decidedBy: 'bob',
        decidedAt: 500,
        comment: 'lgtm',
      });
      const rejected = live(fold([...base, approvalRequested(2, production), approvalRejected()]));
      expect(rejected.approvals[APPROVAL]).toMatchObject({
        status: 'rejected',
        decidedBy: 'bob',
        comment: 'not yet',
      });
    });
  });

  describe('evolve (what a replay rebuilds)', () => {
    it('model.created makes an active model with an empty registry, stamped from the meta', () => {
      expect(evolveModel(initialModelState, created(), { actor: 'alice', at: 42 })).toEqual({
        status: 'active',
        modelId,
        name: 'resnet',
        description: 'an image classifier',
        tags: { team: 'vision' },
        policy: { stages: [], aliases: [] },
        versions: {},
        aliases: {},
        approvals: {},
        createdAt: 42,
        createdBy: 'alice',
        updatedAt: 42,
      });
    });

    it('versions record registeredBy and registeredAt from the meta, and start in None', () => {
      const state = live(
        fold([created(), registered(1), registered(2)], (index) => ({
          actor: `user-${index}`,
          at: 10 * index,
        })),
      );
      expect(state.versions).toEqual({
        '1': {
          version: 1,
          runId: 'run-1',
          artifactPath: 'model/model.pt',
          sha256: sha(1),
          description: 'v1',
          stage: 'None',
          registeredBy: 'user-1',
          registeredAt: 10,
          stageChangedBy: 'user-1',
          stageChangedAt: 10,
        },
        '2': expect.objectContaining({ registeredBy: 'user-2', registeredAt: 20, stage: 'None' }),
      });
      expect(state.createdBy).toBe('user-0');
      expect(state.updatedAt).toBe(20);
    });

    it('without meta, who and when are empty', () => {
      const state = live(fold([created(), registered(1)]));
      expect(state.versions['1']).toMatchObject({ registeredBy: '', registeredAt: 0 });
    });

    it('name, description, tags and deletion follow their events', () => {
      const renamed: Event = { type: 'model.renamed', v: 1, payload: { name: 'b', previousName: 'resnet' } };
      const described: Event = { type: 'model.described', v: 1, payload: { description: 'd' } };
      const state = fold([
        created('resnet', { team: 'vision', owner: 'alice' }),
        renamed,
        described,
        tagsSet({ owner: 'bob', tier: 'gold' }),
        tagsDeleted(['team']),
        deleted,
      ]);
      expect(state).toMatchObject({
        status: 'deleted',
        name: 'b',
        description: 'd',
        tags: { owner: 'bob', tier: 'gold' },
      });
    });

    it('an event other than model.created on an absent model changes nothing', () => {
      expect(evolveModel(initialModelState, registered(1))).toBe(initialModelState);
    });

    it('does not mutate its input state, nor the event', () => {
      const history: Event[] = [
        created(),
        registered(1),
        registered(2),
        { type: 'model.renamed', v: 1, payload: { name: 'b', previousName: 'resnet' } },
        { type: 'model.described', v: 1, payload: { description: 'd' } },
        tagsSet({ tier: 'gold' }),
        tagsDeleted(['team']),
        policySet(['Production'], ['champion']),
        aliasSet('champion', 1),
        staged(1, 'Production'),
        approvalRequested(2, { kind: 'stage', stage: 'Production' }),
        approvalGranted(),
        staged(2, 'Production', 'None', 1, {
          approvalId: APPROVAL,
          requestedBy: 'alice',
          approvedBy: 'bob',
          comment: 'lgtm',
        }),
        displaced(1, 'Production', 2),
        {
          type: 'model.alias_deleted',
          v: 1,
          payload: { alias: 'champion', previousVersion: 1, reason: 'r' },
        },
        approvalRequested(1, { kind: 'alias', alias: 'champion' }, 'alice', OTHER_APPROVAL),
        approvalRejected('bob', OTHER_APPROVAL),
        deleted,
      ];
      let state: ModelState = initialModelState;
      history.forEach((event, index) => {
        const before = structuredClone(state);
        const eventBefore = structuredClone(event);
        const next = evolveModel(state, event, { actor: 'eve', at: index + 1 });
        expect(state).toEqual(before);
        expect(event).toEqual(eventBefore);
        if (index > 0) expect(next).not.toBe(state);
        state = next;
      });
      expect(state).toMatchObject({ status: 'deleted', updatedAt: history.length });
    });
  });

  describe('properties', () => {
    const schemas = new EventSchemas();
    const VERSIONS = 5;
    const heldStages = ['Staging', 'Production'] as const;
    const inStage = (state: LiveModelState, stage: ModelStage) =>
      Object.values(state.versions).filter((version) => version.stage === stage).length;

    /** `replaces`: the current holder, a random version, or nothing said. */
    const step = fc.record({
      version: fc.integer({ min: 1, max: VERSIONS }),
      stage: fc.constantFrom(...MODEL_STAGES),
      replaces: fc.oneof(
        { arbitrary: fc.constant('holder' as const), weight: 3 },
        fc.integer({ min: 1, max: VERSIONS }),
        fc.constant(null),
        fc.constant(undefined),
      ),
      reason: fc.string({ maxLength: 20 }),
    });

    it('any sequence of stage transitions keeps at most one version in Staging and one in Production', () => {
      fc.assert(
        fc.property(fc.array(step, { maxLength: 60, size: 'medium' }), (steps) => {
          let state = live(fold(withVersions(VERSIONS)));
          for (const { version, stage, replaces, reason } of steps) {
            const holder = stage === 'Staging' || stage === 'Production' ? holderOfStage(state, stage) : null;
            const expected = replaces === 'holder' ? holder : replaces;
            const command: ModelCommand = {
              type: 'TransitionStage',
              data: { version, stage, replaces: expected, reason },
            };
            let decided: Event[];
            try {
              decided = decideModel(command, state);
            } catch (error) {
              expect(error).toBeInstanceOf(PromotionConflictError);
              expect(heldStages).toContain(stage);
              expect((expected ?? null) === holder).toBe(false);
              const message = (error as Error).message;
              expect(message).toContain(holder === null ? ' is free;' : ` is held by version ${holder};`);
              expect(message).toContain(`the promotion of version ${version} expected`);
              continue;
            }
            const current = state.versions[String(version)]?.stage;
            if (current === stage) expect(decided).toEqual([]);
            else expect(decided.length).toBe(holder === null ? 1 : 2);
            for (const event of decided) {
              expect(schemas.check(event.type, event.v, event.payload)).toBeNull();
              state = live(evolveModel(state, event));
            }
            if (current !== stage) expect(state.versions[String(version)]?.stage).toBe(stage);
            for (const held of heldStages) expect(inStage(state, held)).toBeLessThanOrEqual(1);
            expect(Object.keys(state.versions)).toHaveLength(VERSIONS);
          }
        }),
        { numRuns: 300 },
      );
    });

    it('a promotion that names the current holder is never rejected', () => {
      fc.assert(
        fc.property(
          fc.array(
            fc.record({
              version: fc.integer({ min: 1, max: VERSIONS }),
              stage: fc.constantFrom(...MODEL_STAGES),
            }),
            { maxLength: 40, size: 'medium' },
          ),
          (steps) => {
            let state = live(fold(withVersions(VERSIONS)));
            for (const { version, stage } of steps) {
              const replaces =
                stage === 'Staging' || stage === 'Production' ? holderOfStage(state, stage) : null;
              for (const event of decideModel(transition(version, stage, { replaces }), state)) {
                state = live(evolveModel(state, event));
              }
              expect(state.versions[String(version)]?.stage).toBe(stage);
            }
          },
        ),
      );
    });
  });
});
