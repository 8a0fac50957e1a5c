// Errors that a user can act on: bad input, wrong checkpoint, too little memory. The message names the problem
// and, where there is one, the fix. The CLI prints these without a stack trace.
export class UserError extends Error {
  override name = 'UserError';
}
