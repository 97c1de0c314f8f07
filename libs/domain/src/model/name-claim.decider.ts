import type { NameClaimEvent, NameKind } from '../../../events/src/model-registry.events';
import type { DomainEvent } from '../../../events/src/run.events';
import { NameTakenError } from '../errors';

/** Who holds a name now; the claim stream's version is what the next claim is appended with. */
export type NameClaimState = { holder: string | null };

export const initialNameClaimState: NameClaimState = { holder: null };

export type NameClaimCommand =
  | { type: 'ClaimName'; data: { kind: NameKind; name: string; holder: string } }
  | { type: 'ReleaseName'; data: { holder: string } };

export function evolveNameClaim(_state: NameClaimState, event: DomainEvent<NameClaimEvent>): NameClaimState {
  return event.type === 'name.claimed' ? { holder: event.payload.holder } : { holder: null };
}

/**
 * A name is free, or held by one holder. Claiming a name its claimant already holds, or releasing one it does not
 * hold (any more), decides nothing; claiming a name another holds is name_taken, naming the holder only by kind.
 */
export function decideNameClaim(
  command: NameClaimCommand,
  state: NameClaimState,
): DomainEvent<NameClaimEvent>[] {
  if (command.type === 'ReleaseName') {
    return state.holder === command.data.holder
      ? [{ type: 'name.released', v: 1, payload: { holder: command.data.holder } }]
      : [];
  }
  const { kind, name, holder } = command.data;
  if (state.holder === holder) return [];
  if (state.holder !== null) {
    throw new NameTakenError(`a ${kind} named "${name}" already exists in this workspace`, 'name');
  }
  return [{ type: 'name.claimed', v: 1, payload: { kind, name, holder } }];
}
