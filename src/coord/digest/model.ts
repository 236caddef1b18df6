/**
 * The digest's items, as data (the `--json` form) before rendering. Every item has a fingerprint:
 * the same fingerprint in the next digest means "nothing new here" for `--since-cursor`.
 */

export interface DigestMention {
  fingerprint: string;
  id: string;
  from: string;
  kind: string;
  at: string;
  text: string;
}

export interface DigestDecision {
  fingerprint: string;
  key: string;
  version: number;
  updated_by: string | null;
  updated_at: string | null;
  first_line: string;
}

/** A line another wing (plan, claims, negotiation) contributes: text it wrote, and a command to act. */
export interface DigestLine {
  fingerprint: string;
  text: string;
  command?: string;
}

export interface DigestData {
  room: string;
  handle: string;
  as_of: string;
  plan_title: string | null;
  mentions: { unread: number; items: DigestMention[]; scan_limited: boolean };
  claims: DigestLine[];
  lost_claims: DigestLine[];
  my_tasks: DigestLine[];
  ready: DigestLine[];
  negotiation: DigestLine[];
  decisions: DigestDecision[];
}

export const SECTION_KEYS = ['negotiation', 'mentions', 'claims', 'lost_claims', 'my_tasks', 'ready', 'decisions'] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];

/** Every fingerprint in a digest. */
export function fingerprints(data: DigestData): string[] {
  return [
    ...data.mentions.items.map((m) => m.fingerprint),
    ...data.claims.map((l) => l.fingerprint),
    ...data.lost_claims.map((l) => l.fingerprint),
    ...data.my_tasks.map((l) => l.fingerprint),
    ...data.ready.map((l) => l.fingerprint),
    ...data.negotiation.map((l) => l.fingerprint),
    ...data.decisions.map((d) => d.fingerprint),
  ];
}

/** The digest with only the items whose fingerprints are not in `seen`. */
export function onlyNew(data: DigestData, seen: Set<string>): DigestData {
  const fresh = <T extends { fingerprint: string }>(items: T[]) => items.filter((i) => !seen.has(i.fingerprint));
  const items = fresh(data.mentions.items);
  return {
    ...data,
    mentions: { unread: data.mentions.unread - (data.mentions.items.length - items.length), items, scan_limited: data.mentions.scan_limited },
    claims: fresh(data.claims),
    lost_claims: fresh(data.lost_claims),
    my_tasks: fresh(data.my_tasks),
    ready: fresh(data.ready),
    negotiation: fresh(data.negotiation),
    decisions: fresh(data.decisions),
  };
}

export function isEmpty(data: DigestData): boolean {
  return fingerprints(data).length === 0;
}
