import type { AccessDirectory } from './access-directory';
import type { Authenticator } from './authenticator';
import type { RateLimitsHandle } from './rate-limit';

/**
 * What a process knows of access: who is who (the authenticator), the tokens the log holds (the directory), and how
 * much each principal may still send (the rate limits, per process).
 */
export interface AccessServices {
  authenticator: Authenticator;
  directory: AccessDirectory;
  rateLimits: RateLimitsHandle;
}

export const ACCESS = Symbol('ACCESS');
