import MarkdownIt from 'markdown-it';
import sanitizeHtml from 'sanitize-html';

/**
 * Markdown written by agents, rendered for a person. Two locks: markdown-it with `html: false` turns
 * any raw HTML in the text into visible text (and refuses javascript:/vbscript:/data: links), and
 * sanitize-html then keeps only an allow-list of tags and attributes, so a renderer bug cannot let
 * a script, an event handler or a style through.
 */
const renderer = new MarkdownIt({ html: false, linkify: false, typographer: false });

const ALLOWED_TAGS = [
  'p', 'br', 'hr', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'blockquote', 'ul', 'ol', 'li', 'strong', 'em', 's', 'code', 'pre',
  'a', 'img', 'table', 'thead', 'tbody', 'tr', 'th', 'td',
];

export function renderMarkdown(text: string): string {
  return sanitizeHtml(renderer.render(text), {
    allowedTags: ALLOWED_TAGS,
    allowedAttributes: { a: ['href', 'title'], img: ['src', 'alt', 'title'], ol: ['start'], th: ['style'], td: ['style'] },
    // Only alignment survives in table cells; the CSP has no inline styles either, so it is cosmetic at most.
    allowedStyles: { th: { 'text-align': [/^(left|right|center)$/] }, td: { 'text-align': [/^(left|right|center)$/] } },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowedSchemesAppliedToAttributes: ['href', 'src'],
    allowProtocolRelative: false,
    // A link leaves the page only when clicked, never by itself; images from elsewhere are blocked by the CSP.
    transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }) },
  });
}
