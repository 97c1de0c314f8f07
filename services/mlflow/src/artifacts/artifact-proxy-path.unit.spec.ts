import { MlflowError } from '../protocol/mlflow-error';
import { parseProxiedPath, rawAfter } from './artifact-proxy-path';

const codeOf = (raw: string) => {
  try {
    parseProxiedPath(raw, true);
    return null;
  } catch (error) {
    return (error as MlflowError).code;
  }
};

describe('the MLflow artifact proxy path', () => {
  it('names a run\u2019s artifact tree and keeps the path as sent, for the native route to check', () => {
    expect(parseProxiedPath('12/abc/artifacts/sub/a%20b.txt', true)).toEqual({
      experimentId: '12',
      runId: 'abc',
      rawPath: 'sub/a%20b.txt',
    });
    expect(parseProxiedPath('12/abc/artifacts', false).rawPath).toBe('');
  });

  it('refuses ids that are not plain, other trees, and an empty path', () => {
    for (const raw of [
      '../abc/artifacts/x',
      '12/%2e%2e/artifacts/x',
      '12/abc/other/x',
      '12/abc/artifacts',
      '12',
      '',
      'C:/abc/artifacts/x',
    ]) {
      expect([raw, codeOf(raw)]).toEqual([raw, 'INVALID_PARAMETER_VALUE']);
    }
    expect(codeOf('12/models/m-1/artifacts/x')).toBe('NOT_IMPLEMENTED');
  });

  it('takes the raw path after the root, without the query, whatever the case of the prefix', () => {
    expect(
      rawAfter('/API/2.0/mlflow-artifacts/artifacts/1/r/artifacts/a%2Fb?x=1', '/mlflow-artifacts/artifacts/'),
    ).toBe('1/r/artifacts/a%2Fb');
  });
});
