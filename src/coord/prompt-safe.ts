/**
 * Text another agent wrote is hostile once it reaches a prompt: it may try to close the block it is
 * quoted in, fake a new instruction section, or hide control and bidi characters. `promptSafe`
 * makes such text inert for prompts that quote it inside `<tag>…</tag>` blocks: angle brackets
 * become look-alikes (so no tag can be opened or closed), code fences are broken, control and
 * direction-override characters are dropped, and the result is cut at `maxChars`.
 */
export function promptSafe(text: string, maxChars = 4000): string {
  const cleaned = String(text)
    .replace(/\r\n?/g, '\n')
    // C0/C1 controls except tab and newline, and the bidi overrides/isolates that reorder text.
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200b-\u200f]/g, '')
    .replace(/</g, '\u2039')
    .replace(/>/g, '\u203a')
    .replace(/```/g, "'''");
  return cleaned.length > maxChars ? `${cleaned.slice(0, maxChars - 1)}\u2026` : cleaned;
}
