// A deterministic stand-in for an LLM command (issue 14 tests): reads the prompt on stdin, logs it
// to $LLM_LOG, and answers by what it is asked. LLM_MODE picks a misbehaviour.
import { appendFileSync, readFileSync } from 'node:fs';

const prompt = readFileSync(0, 'utf8');
if (process.env.LLM_LOG) appendFileSync(process.env.LLM_LOG, `${prompt}\n=====\n`);
const mode = process.env.LLM_MODE ?? 'good';
if (mode === 'fail') {
  process.stderr.write('model overloaded\n');
  process.exit(3);
}
if (mode === 'garbage') {
  process.stdout.write('I think REST is nice.\n');
  process.exit(0);
}
if (prompt.includes('prepare a negotiation')) {
  const answer = {
    issues: { api: ['rest', 'graphql'], db: ['postgres', 'sqlite'] },
    prefer: { ana: { api: ['rest', 'graphql'], db: ['postgres', 'sqlite'] }, bob: { api: ['graphql', 'rest'], db: ['postgres', 'sqlite'] }, eve: { api: ['rest'] } },
  };
  process.stdout.write('```json\n' + JSON.stringify(answer) + '\n```\n');
} else if (prompt.includes('Turn this agreement')) {
  const api = /- api: (\S+)/.exec(prompt)?.[1];
  const owners = mode === 'stranger' ? ['eve'] : ['ana'];
  const tasks = [
    { text: `Write the ${api} API schema`, owners },
    { text: 'Set up the database and migrations', owners: ['bob'] },
    { text: 'Review the API together', owners: ['ana', 'bob'] },
  ];
  process.stdout.write(JSON.stringify({ tasks }));
} else process.exit(5);
