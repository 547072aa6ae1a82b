/** Why a model package cannot be used; `reason` is stable for callers and metrics. */
export type ModelPackageProblem =
  | 'missing_file'
  | 'bad_manifest'
  | 'unsupported_output'
  | 'load_failed'
  | 'signature_mismatch'
  | 'shape_mismatch'
  | 'output_mismatch';

export class ModelPackageError extends Error {
  override readonly name = 'ModelPackageError';

  constructor(
    readonly reason: ModelPackageProblem,
    message: string,
  ) {
    super(message);
  }
}

/** transcribe() was given input that does not fit the model (wrong length, missing modality). */
export class ModelInputError extends Error {
  override readonly name = 'ModelInputError';
}
