// The optional embedding library, loaded through this one typed door so the build never needs its
// type declarations: npm 10 drops the optional package when its postinstall fails offline, and
// `tsc` must still pass (search then runs BM25-only, as the README promises).

/** The part of a feature-extraction pipeline's output mycelium reads. */
export interface FeatureTensor {
  dims: number[];
  data: Float32Array;
}

export type FeatureExtractor = (texts: string[], options: { pooling: 'cls' | 'mean'; normalize: boolean }) => Promise<FeatureTensor>;

/** The part of `@huggingface/transformers` mycelium uses. */
export interface TransformersModule {
  env: {
    allowLocalModels: boolean;
    allowRemoteModels: boolean;
    localModelPath: string;
    remoteHost: string;
    cacheDir?: string | null;
  };
  pipeline(task: 'feature-extraction', model: string, options: { dtype: string }): Promise<FeatureExtractor>;
}

/** The package's name, kept in a variable so `tsc` does not try to resolve it. */
export const TRANSFORMERS_PACKAGE: string = '@huggingface/transformers';

/** Imports the optional library; throws (like any failed import) when it is not installed. */
export async function importTransformers(): Promise<TransformersModule> {
  return (await import(TRANSFORMERS_PACKAGE)) as TransformersModule;
}

/** Where the installed package's entry file is; throws when it is not installed. */
export function resolveTransformers(): string {
  return import.meta.resolve(TRANSFORMERS_PACKAGE);
}
