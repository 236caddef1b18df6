/**
 * Conversational recall, LoCoMo-style, on threads generated here (never real data): agents trade
 * messages in threads (one memory per turn, `threads/t<N>/m<M>`); each question asks about a fact
 * one turn states, in other words than the turn uses, and the answer is that turn. Prints Recall@1,
 * Recall@5, Recall@10 and MRR@10 for BM25 next to a baseline that ranks turns by how many query
 * words they share (no idf, no stemming).
 * usage: npm run bench:conversation [-- --threads N]
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RoomIndex } from '../src/search/room-index.js';

const args = process.argv.slice(2);
const threads = Number(args[args.indexOf('--threads') + 1]) || 200;
let seed = 42;
const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
const pick = <T>(list: T[]) => list[Math.floor(rand() * list.length)];

const agents = ['ana', 'bo', 'cy', 'dee', 'eli'];
const services = ['billing', 'search', 'auth', 'gateway', 'scheduler', 'ledger', 'inbox', 'reports', 'exporter', 'indexer'];
const stores = ['PostgreSQL', 'Redis', 'SQLite', 'Cassandra', 'DynamoDB', 'Kafka', 'ClickHouse', 'MongoDB'];
const regions = ['eu-west-1', 'us-east-2', 'ap-south-1', 'eu-central-1', 'sa-east-1'];
const filler = [
  'Sounds good to me, let us sync tomorrow.',
  'I will take a look after the standup.',
  'Can you share the dashboard link?',
  'Thanks, that helps a lot.',
  'Ping me when the review is ready.',
  'I am blocked on the flaky test again.',
];
/** A fact stated in a turn, and a question about it worded differently. */
const facts: ((s: string) => [string, string])[] = [
  (s) => { const x = pick(stores); return [`We decided the ${s} service will store its data in ${x} from now on.`, `which database did we pick for ${s}?`]; },
  (s) => { const r = pick(regions); return [`Heads up: ${s} is being moved to ${r} next sprint.`, `where will ${s} be deployed after the migration?`]; },
  (s) => { const n = 2 + Math.floor(rand() * 30); return [`The ${s} rollout is delayed by ${n} days because of the audit.`, `why is the ${s} launch late?`]; },
  (s) => { const a = pick(agents); return [`${a} now owns on-call for ${s}; page them for incidents.`, `who should I page when ${s} breaks?`]; },
  (s) => { const n = 100 * (1 + Math.floor(rand() * 9)); return [`Rate limit for ${s} clients is ${n} requests per minute.`, `how many calls per minute may a ${s} client make?`]; },
];

const home = mkdtempSync(join(tmpdir(), 'mycelium-bench-conversation-'));
try {
  const roomDir = join(home, 'rooms', 'chat');
  const questions: { query: string; answer: string }[] = [];
  const texts = new Map<string, string>();
  for (let t = 0; t < threads; t++) {
    const service = pick(services);
    const turns = 6 + Math.floor(rand() * 10);
    const factAt = Math.floor(rand() * turns);
    mkdirSync(join(roomDir, 'threads', `t${t}`), { recursive: true });
    for (let m = 0; m < turns; m++) {
      let body = pick(filler);
      if (m === factAt) {
        const [statement, question] = pick(facts)(service);
        body = statement;
        questions.push({ query: question, answer: `threads/t${t}/m${m}` });
      } else if (rand() < 0.3) body = `${body} Also, the ${service} team asked about this.`;
      const text = `---\nfrom: ${pick(agents)}\nthread: t${t}\n---\n${body}\n`;
      writeFileSync(join(roomDir, 'threads', `t${t}`, `m${m}.md`), text);
      texts.set(`threads/t${t}/m${m}`, body.toLowerCase());
    }
  }
  const index = await RoomIndex.open(home, 'chat', { embedder: null });
  await index.reconcile();
  const score = (rank: (q: string) => Promise<string[]> | string[]) => async () => {
    const m = { r1: 0, r5: 0, r10: 0, mrr: 0 };
    for (const { query, answer } of questions) {
      const at = (await rank(query)).indexOf(answer);
      if (at === 0) m.r1++;
      if (at >= 0 && at < 5) m.r5++;
      if (at >= 0 && at < 10) { m.r10++; m.mrr += 1 / (at + 1); }
    }
    const n = questions.length;
    return { recall_at_1: m.r1 / n, recall_at_5: m.r5 / n, recall_at_10: m.r10 / n, mrr_at_10: m.mrr / n };
  };
  const bm25 = await score(async (q) => (await index.search(q, { mode: 'bm25', noSnippets: true })).results.map((r) => r.key))();
  const overlap = await score((q) => {
    const wanted = new Set(q.toLowerCase().split(/\W+/).filter(Boolean));
    return [...texts].map(([key, text]) => [key, text.split(/\W+/).filter((w) => wanted.has(w)).length] as const).filter(([, n]) => n > 0).sort((a, b) => b[1] - a[1]).slice(0, 10).map(([key]) => key);
  })();
  const show = (name: string, r: typeof bm25) => console.log(`${name.padEnd(28)} R@1 ${r.recall_at_1.toFixed(3)}  R@5 ${r.recall_at_5.toFixed(3)}  R@10 ${r.recall_at_10.toFixed(3)}  MRR@10 ${r.mrr_at_10.toFixed(3)}`);
  console.log(`${threads} threads, ${texts.size} turns, ${questions.length} questions (seed 42)`);
  show('baseline: shared words', overlap);
  show('mycelium BM25', bm25);
  console.log(JSON.stringify({ threads, turns: texts.size, questions: questions.length, bm25, overlap }));
} finally {
  rmSync(home, { recursive: true, force: true });
}
