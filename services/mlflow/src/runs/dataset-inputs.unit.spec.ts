import fc from 'fast-check';
import { EventSchemas, INPUT_PROFILE_MAX, INPUT_SCHEMA_MAX } from '../../../../libs/events/src/event-schemas';
import { MlflowFields } from '../protocol/mlflow-fields';
import { nativeInputsOf } from './dataset-inputs';

const schemas = new EventSchemas();
const fieldsOf = (body: object) => MlflowFields.of({ method: 'POST', query: {}, body });
const datasetWith = (schema: string, profile: string) => ({
  datasets: [
    {
      dataset: { name: 'wide', digest: 'd1', source_type: 'local', source: '{}', schema, profile },
      tags: [
        { key: 'foo', value: 'baz' },
        { key: 'mlflow.data.context', value: 'train' },
      ],
    },
  ],
  models: [{ model_id: `m-${'a'.repeat(32)}` }],
});

describe("MLflow's dataset inputs as run inputs", () => {
  it('keeps the schema and profile up to the limits, and past them their digest and row count only: always storable', () => {
    const lengths = fc.constantFrom(
      0,
      1,
      INPUT_SCHEMA_MAX - 1,
      INPUT_SCHEMA_MAX,
      INPUT_SCHEMA_MAX + 1,
      1_048_575,
    );
    const profiles = fc.constantFrom(1, INPUT_PROFILE_MAX, INPUT_PROFILE_MAX + 1);
    fc.assert(
      fc.property(lengths, profiles, fc.constantFrom('x', '\u{1F600}'), (length, profileLength, unit) => {
        const schema = unit.repeat(length);
        const profile = `{"num_rows": 3, "pad": "${'p'.repeat(Math.max(0, profileLength - 25))}"}`;
        const [input, model] = nativeInputsOf(fieldsOf(datasetWith(schema, profile)));
        expect(schemas.check('run.inputs_logged', 1, { inputs: [input, model] })).toBeNull();
        expect(input.schema).toBe(length > 0 && length <= INPUT_SCHEMA_MAX ? schema : undefined);
        expect(input.schemaDigest).toEqual(length > 0 ? expect.stringMatching(/^sha256:/) : null);
        expect(input.profile).toBe(Array.from(profile).length <= INPUT_PROFILE_MAX ? profile : undefined);
        expect(input.rows).toBe(3);
        expect(input).toMatchObject({ split: 'train', tags: { foo: 'baz' } });
        expect(model).toMatchObject({ name: `m-${'a'.repeat(32)}`, source: `models:/m-${'a'.repeat(32)}` });
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a model input that is not a logged model id, naming the field', () => {
    for (const modelId of ['m-123', 'run-1', `m-${'A'.repeat(32)}`, '']) {
      expect(() => nativeInputsOf(fieldsOf({ models: [{ model_id: modelId }] }))).toThrow(
        /models\[0\]\.model_id/,
      );
    }
  });
});
