export { catchup, DEFAULT_CATCHUP_LIMIT, type Catchup } from './catchup.js';
export { renderDigest, groupByFolder, DIGEST_FOLDER_ORDER } from './digest.js';
export { synthesisPrompt, LLM_SECTIONS } from './prompt.js';
export { synthesisKeyFor } from './select.js';
export { changedSince, isSynthesisInput, isSynthesisKey, POINTER_KEY, EXCLUDED_PREFIXES, type ChangedMemory } from './select.js';
export { latestSynthesis, synthesize, type SynthesisMethod, type SynthesisInfo, type SynthesisResult, type SynthesizeOptions, type SynthesisStep } from './synthesize.js';
export {
  TRIGGER_KEY,
  clearTrigger,
  formatTrigger,
  parseTriggerSpec,
  pendingChanges,
  readTrigger,
  runTriggerIfDue,
  setTrigger,
  type Trigger,
  type TriggerRun,
} from './trigger.js';
export { TriggerRunner, type TriggerRunnerOptions } from './trigger-runner.js';
export { MAX_CATCHUP_LIMIT, catchupLimit, synthesizeLlm, triggerSpec } from './verbs.js';
