import fc from 'fast-check';
import type { NameClaimEvent, NameKind } from '../../../events/src/model-registry.events';
import type { DomainEvent } from '../../../events/src/run.events';
import { NameTakenError } from '../errors';
import { DeciderSpecification } from '../testing/decider-specification';
import {
  decideNameClaim,
  evolveNameClaim,
  initialNameClaimState,
  type NameClaimCommand,
  type NameClaimState,
} from './name-claim.decider';

const given = DeciderSpecification.for({
  decide: decideNameClaim,
  evolve: evolveNameClaim,
  initialState: initialNameClaimState,
});

type Event = DomainEvent<NameClaimEvent>;

const claimed = (holder: string, kind: NameKind = 'model', name = 'resnet'): Event => ({
  type: 'name.claimed',
  v: 1,
  payload: { kind, name, holder },
});
const released = (holder: string): Event => ({ type: 'name.released', v: 1, payload: { holder } });
const claim = (holder: string, kind: NameKind = 'model', name = 'resnet'): NameClaimCommand => ({
  type: 'ClaimName',
  data: { kind, name, holder },
});
const release = (holder: string): NameClaimCommand => ({ type: 'ReleaseName', data: { holder } });

describe('name claim decider', () => {
  describe('ClaimName', () => {
    it.each(['model', 'experiment'] as const)('claims a free %s name', (kind) => {
      given([])
        .when(claim('model-1', kind, 'resnet'))
        .then([claimed('model-1', kind, 'resnet')]);
    });

    it('claims a name released before, by its old holder or by another', () => {
      given([claimed('model-1'), released('model-1')])
        .when(claim('model-2'))
        .then([claimed('model-2')]);
      given([claimed('model-1'), released('model-1')])
        .when(claim('model-1'))
        .then([claimed('model-1')]);
    });

    it('a name its claimant already holds decides nothing: a retry', () => {
      given([claimed('model-1')])
        .when(claim('model-1'))
        .thenNothing();
      given([claimed('model-1'), released('model-1'), claimed('model-2')])
        .when(claim('model-2'))
        .thenNothing();
    });

    it.each(['model', 'experiment'] as const)(
      'a %s name another holds is name_taken on name, naming the kind and name but not the holder',
      (kind) => {
        given([claimed('model-1', kind, 'resnet')])
          .when(claim('model-2', kind, 'resnet'))
          .thenThrows(NameTakenError, (error) => {
            expect(error.code).toBe('name_taken');
            expect(error.field).toBe('name');
            expect(error.message).toBe(`a ${kind} named "resnet" already exists in this workspace`);
            expect(error.message).not.toContain('model-1');
          });
      },
    );

    it('a name taken again after a release belongs to the new holder', () => {
      given([claimed('model-1'), released('model-1'), claimed('model-2')])
        .when(claim('model-1'))
        .thenThrows(NameTakenError);
    });
  });

  describe('ReleaseName', () => {
    it('its holder releases the name', () => {
      given([claimed('model-1')])
        .when(release('model-1'))
        .then([released('model-1')]);
    });

    it('releasing a free name decides nothing', () => {
      given([]).when(release('model-1')).thenNothing();
      given([claimed('model-1'), released('model-1')])
        .when(release('model-1'))
        .thenNothing();
    });

    it('releasing a name another holds decides nothing: the release is not its to make', () => {
      given([claimed('model-1')])
        .when(release('model-2'))
        .thenNothing();
      given([claimed('model-1'), released('model-1'), claimed('model-2')])
        .when(release('model-1'))
        .thenNothing();
    });
  });

  describe('evolve (what a replay rebuilds)', () => {
    it('starts free', () => {
      expect(initialNameClaimState).toEqual({ holder: null });
    });

    it('name.claimed sets the holder, name.released frees it', () => {
      const fold = (events: Event[]) =>
        events.reduce<NameClaimState>((state, event) => evolveNameClaim(state, event), initialNameClaimState);
      expect(fold([claimed('model-1')])).toEqual({ holder: 'model-1' });
      expect(fold([claimed('model-1'), released('model-1')])).toEqual({ holder: null });
      expect(fold([claimed('model-1'), released('model-1'), claimed('exp-2', 'experiment')])).toEqual({
        holder: 'exp-2',
      });
    });

    it('does not mutate its input state', () => {
      const state = Object.freeze({ holder: 'model-1' });
      expect(evolveNameClaim(state, released('model-1'))).toEqual({ holder: null });
      expect(state).toEqual({ holder: 'model-1' });
    });
  });

  describe('properties', () => {
    const holder = fc.constantFrom('model-1', 'model-2', 'model-3');
    const command: fc.Arbitrary<NameClaimCommand> = fc.oneof(
      holder.map((h) => claim(h)),
      holder.map((h) => release(h)),
    );

    it('a name has at most one holder: a claim lands only when the name is free, a release only by its holder', () => {
      fc.assert(
        fc.property(fc.array(command, { maxLength: 50 }), (commands) => {
          let state = initialNameClaimState;
          for (const next of commands) {
            let decided: Event[];
            try {
              decided = decideNameClaim(next, state);
            } catch (error) {
              expect(error).toBeInstanceOf(NameTakenError);
              expect(next.type).toBe('ClaimName');
              expect(state.holder).not.toBeNull();
              expect(state.holder).not.toBe(next.data.holder);
              continue;
            }
            if (next.type === 'ClaimName') {
              expect(decided).toEqual(state.holder === null ? [claimed(next.data.holder)] : []);
            } else {
              expect(decided).toEqual(state.holder === next.data.holder ? [released(next.data.holder)] : []);
            }
            state = decided.reduce(evolveNameClaim, state);
            if (next.type === 'ClaimName') expect(state.holder).toBe(next.data.holder);
            else expect(state.holder === next.data.holder).toBe(false);
          }
        }),
      );
    });
  });
});
