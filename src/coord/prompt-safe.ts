/**
 * Text another agent wrote is hostile once it reaches a prompt: a message could contain
 * `<system-reminder>` or `</user>` and pose as the host's instructions. promptSafe keeps the text
 * readable but breaks every tag-like `<name` / `</name` by replacing `<` with the look-alike `‹`
 * (U+2039), and drops control characters other than newline and tab.
 */
export function promptSafe(text: string): string {
  return text
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '')
    .replace(/<(\/?\s*[A-Za-z!?])/g, '‹$1');
}

/**
 * promptSafe, then cut to at most `maxChars` characters (an ellipsis marks the cut), for prompts
 * and digests that quote many pieces of other agents' text and must stay bounded.
 */
export function promptSafeClip(text: string, maxChars: number): string {
  const safe = promptSafe(String(text).replace(/\r\n?/g, '\n'));
  return safe.length > maxChars ? `${safe.slice(0, Math.max(0, maxChars - 1))}\u2026` : safe;
}
