/** A mistake the user can fix (bad node number, unknown flag, changed host key...). Transports show
 *  its message as-is; anything else is an internal failure and gets an incident id instead. */
export class UserError extends Error {
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'UserError';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
