/**
 * A save that could not happen for a reason about files and folders: the destination is outside the workspace or
 * unusable, a name is taken, the disk refused a write. Not a `GatewayError`: the gateway did its part (or was never
 * asked), so the retry policy, the gateway's error codes and "Stopped after N attempts" do not apply to it.
 */
export class FileError extends Error {
  override readonly name: string = 'FileError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
  }
}
