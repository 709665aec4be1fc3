/** A run folder that cannot be used as asked; the message names the folder, the file and the flag. */
export class RunStateError extends Error {
  override name = 'RunStateError';
}
