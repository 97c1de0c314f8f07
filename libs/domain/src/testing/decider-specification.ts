import { EventSchemas } from '../../../events/src/event-schemas';

/**
 * Given/when/then for pure deciders, after Emmett's `DeciderSpecification`:
 *
 *   const given = DeciderSpecification.for({ decide: decideRun, evolve: evolveRun, initialState: initialRunState });
 *   given([runCreated]).when(finishRun).then([runFinished]);
 *
 * The given events are folded with `evolve` from `initialState`, exactly as a replay would, then `decide` runs
 * once on the result. Every decided event must also fit its `type@v` payload schema, so a decider cannot emit a
 * shape the projector would dead-letter. Only for specs: it asserts with jest's `expect`.
 */

const schemas = new EventSchemas();

export interface DeciderUnderSpecification<Command, State, GivenEvent, DecidedEvent> {
  decide: (command: Command, state: State) => DecidedEvent[];
  evolve: (state: State, event: GivenEvent) => State;
  initialState: State;
}

export type ErrorClass<E extends Error> = abstract new (...args: never[]) => E;

export interface DeciderThen<DecidedEvent> {
  /** The decision is exactly these events, in this order. */
  then(expectedEvents: DecidedEvent[]): void;
  /** `decide` throws an instance of `errorClass`; `predicate` may add checks (return false or use `expect`). */
  thenThrows<E extends Error>(errorClass: ErrorClass<E>, predicate?: (error: E) => boolean | void): void;
  /** The command is accepted and changes nothing: no events. */
  thenNothing(): void;
}

export interface DeciderWhen<Command, DecidedEvent> {
  when(command: Command): DeciderThen<DecidedEvent>;
}

export const DeciderSpecification = {
  for<Command, State, GivenEvent, DecidedEvent>(
    decider: DeciderUnderSpecification<Command, State, GivenEvent, DecidedEvent>,
  ): (givenEvents: GivenEvent[]) => DeciderWhen<Command, DecidedEvent> {
    return (givenEvents) => ({
      when: (command) => {
        const decision = (): DecidedEvent[] => {
          // Frozen inputs make a decider that mutates its state, an event or the command fail loudly here,
          // instead of passing this spec and diverging later when an auditor replays the log.
          const state = givenEvents
            .map(deepFreeze)
            .reduce(
              (current, event) => deepFreeze(decider.evolve(current, event)),
              deepFreeze(decider.initialState),
            );
          const decided = decider.decide(deepFreeze(command), state);
          for (const event of decided) {
            const { type, v, payload } = event as { type: string; v: number; payload: unknown };
            expect(schemas.check(type, v, payload)).toBeNull();
          }
          return decided;
        };
        return {
          then: (expectedEvents) => {
            expect(decision()).toEqual(expectedEvents);
          },
          thenNothing: () => {
            expect(decision()).toEqual([]);
          },
          thenThrows: (errorClass, predicate) => {
            let thrown: unknown;
            let decided: DecidedEvent[] | undefined;
            try {
              decided = decision();
            } catch (error) {
              thrown = error;
            }
            if (decided !== undefined) {
              throw new Error(
                `expected ${errorClass.name} to be thrown, but decided ${JSON.stringify(decided)}`,
              );
            }
            expect(thrown).toBeInstanceOf(errorClass);
            // Narrowed by the assertion above; TypeScript cannot follow jest's matchers.
            const typed = thrown as InstanceType<typeof errorClass>;
            if (predicate && predicate(typed) === false) {
              throw new Error(
                `${errorClass.name} was thrown but did not satisfy the predicate: ${typed.message}`,
              );
            }
          },
        };
      },
    });
  },
};

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const nested of Object.values(value)) deepFreeze(nested);
  }
  return value;
}
