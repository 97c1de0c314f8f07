import 'reflect-metadata';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { IngestController } from './ingest.controller';
import { buildOpenApiDocument } from './openapi';

/** Every route of the ingest controller, as `METHOD /api/v1/path/{param}`. */
function controllerRoutes(): string[] {
  const prefix = Reflect.getMetadata(PATH_METADATA, IngestController) as string;
  const prototype = IngestController.prototype as unknown as Record<string, unknown>;
  return Object.getOwnPropertyNames(prototype)
    .filter((name) => name !== 'constructor' && Reflect.hasMetadata(PATH_METADATA, prototype[name] as object))
    .map((name) => {
      const handler = prototype[name] as object;
      const path = (Reflect.getMetadata(PATH_METADATA, handler) as string).replace(/:(\w+)/g, '{$1}');
      const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
      return `${method} /${prefix}/${path}`;
    })
    .filter((route) => !route.endsWith('/openapi.json'))
    .sort();
}

describe('the OpenAPI document', () => {
  it('lists exactly the routes the ingest controller serves, with their methods', () => {
    const documented = Object.entries(buildOpenApiDocument().paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
      )
      .filter((route) => !route.includes('/artifact-records'))
      .sort();
    expect(documented).toEqual(controllerRoutes());
  });
});
