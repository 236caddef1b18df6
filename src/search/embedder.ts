import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { importTransformers, resolveTransformers, type TransformersModule } from './transformers-module.js';
import { DEFAULT_EMBED_MODEL } from '../settings.js';

/** Turns texts into normalised vectors. One per model; reuse it (loading a model takes a while). */
export interface Embedder {
  /** The model id, e.g. "Xenova/bge-small-en-v1.5". */
  readonly model: string;
  readonly dimension: number;
  readonly pooling: Pooling;
  /** Changes whenever the vectors it makes would change: stored with the vectors. */
  readonly fingerprint: string;
  /** One unit-length vector per text, in order. Texts are embedded in batches. */
  embed(texts: string[]): Promise<Float32Array[]>;
}

export type Pooling = 'cls' | 'mean';

export const DEFAULT_MODEL = DEFAULT_EMBED_MODEL;

export interface LoadEmbedderOptions {
  /** Model id (default: MYCELIUM_EMBED_MODEL, then Xenova/bge-small-en-v1.5). */
  model?: string;
  /**
   * A local folder in the transformers.js layout (default: MYCELIUM_MODEL_DIR): either the model's
   * own folder (holding config.json) or a folder holding `<model id>/config.json`.
   */
  modelDir?: string;
  /** 'cls' or 'mean' (default: MYCELIUM_EMBED_POOLING, then cls for bge models, mean otherwise). */
  pooling?: Pooling;
  /** Never try the hub (default: MYCELIUM_OFFLINE or HF_HUB_OFFLINE set). */
  offline?: boolean;
  /** How long the hub may take to answer before we call it offline, in ms (default 3000). */
  hubTimeoutMs?: number;
  /** Texts per model call (default 32). */
  batchSize?: number;
  /** The environment the face was given (MYCELIUM_EMBED_MODEL, MYCELIUM_MODEL_DIR, MYCELIUM_OFFLINE, HF_ENDPOINT, …); default none set. */
  env?: NodeJS.ProcessEnv;
}

export type LoadedEmbedder = { embedder: Embedder } | { embedder: null; reason: string };

const REQUIRED_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'];

/**
 * Finds and loads the embedding model: MYCELIUM_MODEL_DIR, then the transformers.js cache, then the
 * hub when online. Never throws and never hangs: when no model can be loaded it says why, and the
 * caller searches with BM25 alone.
 */
export async function loadEmbedder(options: LoadEmbedderOptions = {}): Promise<LoadedEmbedder> {
  const env = options.env ?? {};
  // Find the model before importing the library: the import alone costs a third of a second and
  // ~100 MB, which a search without a model (BM25 only) should not pay.
  let cacheDir: string;
  try {
    cacheDir = transformersCacheDir();
  } catch (err) {
    return { embedder: null, reason: `the embedding library @huggingface/transformers is not installed (${firstLine(err)})` };
  }
  const where = await locateModel(cacheDir, options, env);
  if ('reason' in where) return { embedder: null, reason: where.reason };
  let transformers: TransformersModule;
  try {
    transformers = await importTransformers();
  } catch (err) {
    return { embedder: null, reason: `the embedding library @huggingface/transformers is not installed (${firstLine(err)})` };
  }
  const { id, localRoot, remote } = where;
  transformers.env.allowLocalModels = localRoot !== null;
  if (localRoot !== null) transformers.env.localModelPath = localRoot.endsWith('/') ? localRoot : localRoot + '/';
  transformers.env.allowRemoteModels = remote;
  if (env.HF_ENDPOINT) transformers.env.remoteHost = env.HF_ENDPOINT.replace(/\/?$/, '/');
  const folder = localRoot !== null ? join(localRoot, id) : join(transformers.env.cacheDir ?? '', id);
  const quantized = remote || existsSync(join(folder, 'onnx', 'model_quantized.onnx'));
  const dtype = quantized ? 'q8' : 'fp32';
  const pooling = options.pooling ?? (env.MYCELIUM_EMBED_POOLING as Pooling | undefined) ?? defaultPooling(id);
  if (pooling !== 'cls' && pooling !== 'mean') return { embedder: null, reason: `MYCELIUM_EMBED_POOLING must be cls or mean, got '${pooling}'` };
  try {
    const extractor = await transformers.pipeline('feature-extraction', id, { dtype });
    const batchSize = options.batchSize ?? 32;
    const run = async (texts: string[]): Promise<Float32Array[]> => {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += batchSize) {
        const tensor = await extractor(texts.slice(i, i + batchSize), { pooling, normalize: true });
        const [rows, dim] = tensor.dims as number[];
        const data = tensor.data as Float32Array;
        for (let r = 0; r < rows; r++) out.push(data.slice(r * dim, (r + 1) * dim));
      }
      return out;
    };
    const [probe] = await run(['dimension probe']);
    const fingerprint = JSON.stringify({ model: id, dimension: probe.length, pooling, dtype, normalize: true });
    return { embedder: { model: id, dimension: probe.length, pooling, fingerprint, embed: run } };
  } catch (err) {
    return { embedder: null, reason: `cannot load embedding model ${id} (${firstLine(err)})` };
  }
}

/** bge models are trained with CLS pooling; sentence-transformers models (MiniLM, mpnet) with mean. */
export function defaultPooling(model: string): Pooling {
  return /bge/i.test(model) ? 'cls' : 'mean';
}

type Location = { id: string; localRoot: string | null; remote: boolean } | { reason: string };

async function locateModel(cacheDir: string, options: LoadEmbedderOptions, env: NodeJS.ProcessEnv): Promise<Location> {
  const requested = options.model ?? env.MYCELIUM_EMBED_MODEL ?? DEFAULT_MODEL;
  const modelDir = options.modelDir ?? env.MYCELIUM_MODEL_DIR;
  if (modelDir) {
    // The model's own folder, or a root holding <model id>/.
    const own = existsSync(join(modelDir, 'config.json'));
    const folder = own ? modelDir : join(modelDir, requested);
    const missing = missingFiles(folder);
    if (missing) return { reason: `model folder ${folder} is missing ${missing}; fix MYCELIUM_MODEL_DIR or unset it` };
    return own ? { id: basename(modelDir), localRoot: dirname(modelDir), remote: false } : { id: requested, localRoot: modelDir, remote: false };
  }
  if (cacheDir && !missingFiles(join(cacheDir, requested))) return { id: requested, localRoot: null, remote: false };
  const offline = options.offline ?? Boolean(env.MYCELIUM_OFFLINE || env.HF_HUB_OFFLINE || env.TRANSFORMERS_OFFLINE);
  if (offline) return { reason: `embedding model ${requested} is not downloaded and MYCELIUM_OFFLINE is set; set MYCELIUM_MODEL_DIR to a local copy` };
  const reachable = await hubReachable(requested, options.hubTimeoutMs ?? 3000, env.HF_ENDPOINT);
  if (reachable !== true) {
    return { reason: `embedding model ${requested} is not downloaded and the model hub is unreachable (${reachable}); set MYCELIUM_MODEL_DIR to a local copy` };
  }
  return { id: requested, localRoot: null, remote: true };
}

/** transformers.js's default model cache (`env.cacheDir`): `.cache/` in its package folder. */
function transformersCacheDir(): string {
  const entry = fileURLToPath(resolveTransformers());
  return join(dirname(dirname(entry)), '.cache') + '/';
}

function missingFiles(folder: string): string | null {
  const missing = REQUIRED_FILES.filter((f) => !existsSync(join(folder, f)));
  if (!existsSync(join(folder, 'onnx', 'model.onnx')) && !existsSync(join(folder, 'onnx', 'model_quantized.onnx'))) {
    missing.push('onnx/model.onnx');
  }
  return missing.length > 0 ? missing.join(', ') : null;
}

/** One short request so an offline machine fails in milliseconds, not after a long download attempt. */
async function hubReachable(model: string, timeoutMs: number, endpoint: string | undefined): Promise<true | string> {
  try {
    const host = (endpoint ?? 'https://huggingface.co').replace(/\/$/, '');
    const response = await fetch(`${host}/${model}/resolve/main/config.json`, { method: 'HEAD', signal: AbortSignal.timeout(timeoutMs) });
    return response.ok ? true : `HTTP ${response.status}`;
  } catch (err) {
    return firstLine(err);
  }
}

function firstLine(err: unknown): string {
  const e = err as { message?: string; cause?: { code?: string } };
  const message = (e?.message ?? String(err)).split('\n')[0];
  return e?.cause?.code ? `${message}: ${e.cause.code}` : message;
}
