import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { ValidationError } from '../../../../libs/domain/src/errors';
import { ALIAS_PATTERN, modelNameSchema } from '../../../../libs/events/src/event-schemas';
import { newEventId } from '../../../../libs/events/src/envelope';
import { requirePermissionWhereAsked, type Caller } from '../commands/command-handler';
import { KeyedLock } from '../commands/keyed-lock';
import { IngestRouter } from '../ingest-router';
import { callerOf, withDigest } from '../ingest.controller';
import { SchemaValidator } from '../request-validator';
import { REGISTRY_PATH_PARAMETERS, REGISTRY_SCHEMAS, type RegistryBodies } from './registry.schemas';
import { registryRouteKey } from './registry.service';

const NAME = new RegExp(modelNameSchema.pattern, 'u');

export function modelNameParam(raw: string): string {
  if (raw.length === 0 || raw.length > modelNameSchema.maxLength || !NAME.test(raw)) {
    throw new ValidationError(
      'the model name in the path must be 1 to 256 characters, without control characters or outer spaces',
      'name',
    );
  }
  return raw;
}

const ALIAS = new RegExp(REGISTRY_PATH_PARAMETERS.alias.pattern);
const UUID = new RegExp(REGISTRY_PATH_PARAMETERS.approvalId.pattern);

export function aliasParam(raw: string): string {
  if (!ALIAS.test(raw))
    throw new ValidationError(`the alias in the path must match ${ALIAS_PATTERN}`, 'alias');
  return raw;
}

export function approvalIdParam(raw: string): string {
  const id = raw.toLowerCase();
  if (!UUID.test(id)) throw new ValidationError('the approval id in the path must be a UUID', 'approvalId');
  return id;
}

const VERSION = new RegExp(REGISTRY_PATH_PARAMETERS.version.pattern);

export function versionParam(raw: string): number {
  if (!VERSION.test(raw) || Number(raw) > 1_000_000_000) {
    throw new ValidationError('the version in the path must be an integer from 1', 'version');
  }
  return Number(raw);
}

/**
 * How every registry request is taken: validated here, then handled by the ingest process that owns the
 * workspace's registry (forwarded to it when that is another one), one command of a workspace at a time, so each
 * model has one writer. Both registry controllers share it, and so its lock.
 */
@Injectable()
export class RegistryRequests {
  private readonly validator = new SchemaValidator<RegistryBodies>(REGISTRY_SCHEMAS);
  private readonly lock = new KeyedLock();

  constructor(private readonly router: IngestRouter) {}

  handle<K extends keyof RegistryBodies>(
    schema: K,
    body: unknown,
    request: Request,
    target: string,
    run: (valid: RegistryBodies[K] & { eventId: string }, caller: Caller) => Promise<unknown>,
  ) {
    const validated = this.validator.validate(schema, body ?? {});
    // The id is settled before routing, so a forwarded command and its retries carry the same one.
    const resolved = { ...validated, eventId: validated.eventId ?? newEventId() };
    const caller = callerOf(request);
    // Names are looked up in the workspace the request names: only where the caller holds the permission.
    requirePermissionWhereAsked(caller);
    const key = registryRouteKey(caller.workspace);
    // One command of a workspace's registry at a time in its owner: a command's steps (claim, create, release)
    // never interleave with another's.
    return this.router.route(key, request, resolved, () =>
      this.lock.run(key, () => run(resolved, withDigest(request, target, resolved, caller))),
    );
  }
}
