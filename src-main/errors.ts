// Errors the services throw on purpose; dispatch() passes their name and message to the caller.
export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

export class ValidationError extends Error {
  override name = 'ValidationError';
}

/** A request that is valid but cannot be done in the current state (e.g. cancelling a finished run). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}
