import type { AccessDirectory } from './access-directory';
import type { Authenticator } from './authenticator';

/** What a process knows of access: who is who (the authenticator) and the tokens the log holds (the directory). */
export interface AccessServices {
  authenticator: Authenticator;
  directory: AccessDirectory;
}

export const ACCESS = Symbol('ACCESS');
