import { buildDigest, checkDigestChars } from '../../src/coord/digest/index.js';
import { DIGEST_CONTRIBUTORS } from '../../src/coord/digest/contributors.js';
import { openRoom, wholeNumber } from '../context.js';
import { printJson, warn, type CommonOptions } from '../output.js';
import { writeOut } from '../stdio.js';

export async function digest(options: CommonOptions & { maxChars?: string; sinceCursor?: boolean }): Promise<void> {
  const maxChars = checkDigestChars(wholeNumber(options.maxChars, '--max-chars', 1));
  const { context, room } = await openRoom(options);
  const result = await buildDigest(room, context.handle, { maxChars, sinceCursor: options.sinceCursor, contributors: DIGEST_CONTRIBUTORS });
  warn(result.warnings);
  if (options.json) return printJson({ ...result.data, text: result.text });
  writeOut(result.text);
}
