import { Injectable } from '@nestjs/common';
import type { MlflowEndpoint, MlflowEndpoints } from '../protocol/mlflow-endpoint';
import { MlflowError } from '../protocol/mlflow-error';

const notYet = () =>
  Promise.reject(
    new MlflowError(
      'NOT_IMPLEMENTED',
      'MLflow 3 logged models are not stored by Runlog yet: log the model files as run artifacts and register them in Runlog’s registry',
    ),
  );

/**
 * MLflow 3's logged models. None can be made here yet, so a search finds none: the client searches them on its
 * way to other things (list_artifacts asks which logged models a run has) and must get an answer, not an error.
 */
@Injectable()
export class LoggedModelsEndpoints implements MlflowEndpoints {
  endpoints(): MlflowEndpoint[] {
    return [
      { methods: ['POST'], path: 'logged-models/search', handle: () => Promise.resolve({ models: [] }) },
      { methods: ['POST'], path: 'logged-models', handle: notYet },
      { methods: ['GET', 'PATCH', 'DELETE'], path: 'logged-models/{modelId}', handle: notYet },
    ];
  }
}
