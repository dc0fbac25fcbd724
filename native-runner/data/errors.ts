// One error type for every bad-input case of the data pipeline, so callers (CLI, runner, UI) can tell
// "your corpus is broken" apart from a bug. The message always names the file, and the line or byte
// offset where one is known.

export class DataError extends Error {
  override name = 'DataError';
  constructor(
    message: string,
    readonly file?: string,
    readonly line?: number,
    readonly byteOffset?: number,
  ) {
    super(message);
  }
}
