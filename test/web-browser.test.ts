/**
 * The web page in a real headless Chromium (the system package, driven by puppeteer-core; nothing
 * downloads a browser). Skips, saying why, when no Chromium is installed: `apt-get install -y
 * chromium`, or point MYCELIUM_CHROMIUM at one. A failing test saves a screenshot of the page under
 * $MYCELIUM_SCREENSHOTS (default: the system temp folder, mycelium-web-screenshots/).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantClaim } from '../src/coord/claims/store.js';
import { planTasksPort } from '../src/coord/negotiation/plan-tasks.js';
import { parseJoin, parseOpen } from '../src/coord/negotiation/schema.js';
import { joinSession, openNegotiation } from '../src/coord/negotiation/store.js';
import { Room } from '../src/room.js';
import { cli, cliAsync, homeWithRoom, startServe } from './helpers.js';

const CANDIDATES = [process.env.MYCELIUM_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];
const chromium = CANDIDATES.find((path): path is string => typeof path === 'string' && path !== '' && existsSync(path));
if (!chromium) console.warn('web-browser tests skipped: no Chromium found (apt-get install -y chromium, or set MYCELIUM_CHROMIUM)');

const OFFLINE = { MYCELIUM_OFFLINE: '1' };
const TOKEN = 'browser-token';
const shots = process.env.MYCELIUM_SCREENSHOTS ?? join(tmpdir(), 'mycelium-web-screenshots');

interface Watched {
  page: Page;
  errors: string[];
  dialogs: string[];
  foreign: string[];
}

describe.skipIf(!chromium)('web page in headless Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await puppeteer.launch({
      executablePath: chromium,
      headless: true,
      // Root in CI containers cannot use Chromium's sandbox; the pages under test are our own.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** A new page that records console errors, page errors, dialogs and every request leaving the server's origin. */
  async function open(origin: string): Promise<Watched> {
    const context = await browser.createBrowserContext();
    const page = await context.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    const watched: Watched = { page, errors: [], dialogs: [], foreign: [] };
    page.on('console', (message) => {
      // The 401 of the login page is expected where a test asks for it; anything else is a defect.
      if (message.type() === 'error' && !/status of 401/.test(message.text())) watched.errors.push(message.text());
    });
    page.on('pageerror', (err) => watched.errors.push(String(err)));
    page.on('dialog', (dialog) => {
      watched.dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('request', (request) => {
      if (!request.url().startsWith(origin) && !request.url().startsWith('data:')) watched.foreign.push(request.url());
    });
    return watched;
  }

  /** Runs a test body; on failure saves a screenshot of the page first. */
  async function withShot(name: string, watched: Watched, body: () => Promise<void>): Promise<void> {
    try {
      await body();
    } catch (err) {
      mkdirSync(shots, { recursive: true });
      const file = join(shots, `${name}.png`);
      writeFileSync(file, await watched.page.screenshot({ fullPage: true }));
      console.error(`screenshot of the failing page: ${file}`);
      throw err;
    } finally {
      await watched.page.browserContext().close();
    }
  }

  it('loads every page with no console errors, at laptop and phone width', async () => {
    const home = homeWithRoom('team');
    expect(cli(['memory', 'set', 'decisions/db', '# DB\n\nUse **PostgreSQL**', '--tags', 'db'], { home }).code).toBe(0);
    expect(cli(['room', 'send', 'hello @ana', '--handle', 'bob'], { home }).code).toBe(0);
    expect(cli(['agent', 'register', '--handle', 'ana', '--role', 'lead'], { home }).code).toBe(0);
    expect(cli(['plan', 'task', 'add', 'a task with a rather long text that has to wrap on a phone-width window without widening it', '--handle', 'ana'], { home }).code).toBe(0);
    const room = await Room.open(home, 'team');
    await grantClaim(room, { holder: 'ana', paths: ['src/some/deeply/nested/folder/with/a/long/name/file.ts'], ttl: '1h' });
    const server = await startServe(home, [], OFFLINE);
    const watched = await open(server.url);
    await withShot('pages', watched, async () => {
      for (const width of [1280, 390]) {
        await watched.page.setViewport({ width, height: 900 });
        for (const path of ['/ui', '/ui/rooms/team', '/ui/rooms/team/memory/decisions/db', '/ui/rooms/team/search?q=postgresql', '/ui/rooms/team/messages', '/ui/rooms/team/plan', '/ui/rooms/team/claims', '/ui/rooms/team/negotiations', '/ui/rooms/team/synthesis', '/ui/rooms/team/digest?handle=ana']) {
          const res = await watched.page.goto(server.url + path, { waitUntil: 'load' });
          expect(res?.status(), path).toBe(200);
          // The stylesheet applied (no unstyled page): the header is a flex row.
          expect(await watched.page.$eval('header.top', (el) => getComputedStyle(el).display)).toBe('flex');
          // Nothing wider than the window (usable on a phone).
          expect(await watched.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), `${path} at ${width}px`).toBe(true);
        }
      }
      await watched.page.goto(`${server.url}/ui/rooms/team`, { waitUntil: 'load' });
      await watched.page.waitForFunction(() => document.getElementById('feed-status')?.textContent === 'live', { timeout: 15_000 });
      expect(watched.errors).toEqual([]);
      expect(watched.foreign).toEqual([]);
    });
  }, 120_000);

  it('searches from the search box and renders the results', async () => {
    const home = homeWithRoom('team');
    expect(cli(['memory', 'set', 'decisions/db', 'We chose PostgreSQL for orders'], { home }).code).toBe(0);
    expect(cli(['memory', 'set', 'notes/lunch', 'Pizza on friday'], { home }).code).toBe(0);
    const server = await startServe(home, [], OFFLINE);
    const watched = await open(server.url);
    await withShot('search', watched, async () => {
      const { page } = watched;
      await page.goto(`${server.url}/ui/rooms/team`, { waitUntil: 'load' });
      await page.type('input[name=q]', 'postgresql');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form[role=search] button')]);
      const keys = await page.$$eval('ol.results li > a', (links) => links.map((a) => a.textContent));
      expect(keys).toEqual(['decisions/db']);
      expect(await page.$eval('.mode', (el) => el.textContent)).toMatch(/^(hybrid|bm25|vector)$/);
      expect(await page.$eval('.score', (el) => el.textContent)).toMatch(/^\d+\.\d{3}$/);
      expect(watched.errors).toEqual([]);
    });
  }, 120_000);

  it('shows a memory set from the CLI in an open page’s feed without a reload', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, [], OFFLINE);
    const watched = await open(server.url);
    await withShot('feed', watched, async () => {
      const { page } = watched;
      await page.goto(`${server.url}/ui/rooms/team`, { waitUntil: 'load' });
      await page.waitForFunction(() => document.getElementById('feed-status')?.textContent === 'live', { timeout: 15_000 });
      await page.evaluate(() => document.body.setAttribute('data-loaded-once', 'yes'));
      expect((await cliAsync(['memory', 'set', 'live/news', 'fresh', '--handle', 'ana'], { home })).code).toBe(0);
      // The bench (npm run bench:web) measures the delay; here a generous bound for a loaded CI machine.
      await page.waitForFunction(() => [...document.querySelectorAll('#feed li a')].some((a) => a.textContent === 'live/news'), { timeout: 20_000 });
      const text = await page.$eval('#feed li', (li) => li.textContent ?? '');
      expect(text).toContain('by ana');
      expect(await page.evaluate(() => document.body.getAttribute('data-loaded-once'))).toBe('yes'); // same page, no reload
      expect(watched.errors).toEqual([]);
    });
  }, 120_000);

  it('sends a message from the page and it lands in the room’s files', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const watched = await open(server.url);
    await withShot('send', watched, async () => {
      const { page } = watched;
      await page.goto(`${server.url}/ui/rooms/team`, { waitUntil: 'load' });
      await page.type('#message-text', 'please review decisions/db @ana');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.send button')]);
      expect(page.url()).toBe(`${server.url}/ui/rooms/team/messages`);
      expect(await page.$eval('.messages .text', (el) => el.textContent)).toBe('please review decisions/db @ana');
      const listed = JSON.parse(cli(['room', 'messages', '--json'], { home }).stdout) as { from: string; mentions: string[]; text: string }[];
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ from: 'lead', mentions: ['ana'], text: 'please review decisions/db @ana' });
      expect(watched.errors).toEqual([]);
    });
  }, 120_000);

  it('ticks and adds a task from the page, and the plan file changes; the board follows a CLI change without a reload', async () => {
    const home = homeWithRoom('team');
    const added = cli(['plan', 'task', 'add', `migrate <img src=x onerror="alert('task')">`, '--handle', 'ana', '--json'], { home });
    expect(added.code).toBe(0);
    const id = (JSON.parse(added.stdout) as { id: string }).id;
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const watched = await open(server.url);
    await withShot('plan', watched, async () => {
      const { page } = watched;
      await page.goto(`${server.url}/ui/rooms/team`, { waitUntil: 'load' });
      expect(await page.$eval(`li.task[data-id="${id}"] .task-text`, (el) => el.textContent)).toBe(`migrate <img src=x onerror="alert('task')">`);
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(`li.task[data-id="${id}"] form.tick button`)]);
      expect(page.url()).toBe(`${server.url}/ui/rooms/team`);
      expect(await page.$eval(`li.task[data-id="${id}"]`, (el) => el.getAttribute('data-status'))).toBe('done');
      const tasks = JSON.parse(cli(['plan', 'tasks', '--all', '--json'], { home }).stdout) as { id: string; state: string; closed_by: string }[];
      expect(tasks.find((t) => t.id === id)).toMatchObject({ state: 'done', closed_by: 'lead' });
      await page.type('form.add-task input[name=text]', 'review the migration');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form.add-task button')]);
      expect(await page.$$eval('li.task .task-text', (els) => els.map((el) => el.textContent))).toContain('review the migration');
      expect(readFileSync(join(home, 'rooms', 'team', 'plan', 'tasks.md'), 'utf8')).toMatch(/review the migration/);
      // A task added from the CLI shows on the open board without a reload.
      await page.waitForFunction(() => document.getElementById('feed-status')?.textContent === 'live', { timeout: 15_000 });
      await page.evaluate(() => document.body.setAttribute('data-loaded-once', 'yes'));
      const asked: string[] = [];
      page.on('request', (request) => asked.push(request.url()));
      expect((await cliAsync(['plan', 'task', 'add', 'from the terminal', '--handle', 'ana'], { home })).code).toBe(0);
      await page.waitForFunction(() => [...document.querySelectorAll('li.task .task-text')].some((el) => el.textContent === 'from the terminal'), { timeout: 20_000 });
      expect(await page.evaluate(() => document.body.getAttribute('data-loaded-once'))).toBe('yes');
      // Only the board was asked for (the event named plan/tasks), not the whole page again. A plan
      // write can reach the page as two events more than the 50 ms coalescing apart: one fetch or two.
      const live = asked.filter((url) => url.includes('/live?'));
      expect(live.length).toBeGreaterThan(0);
      expect(new Set(live)).toEqual(new Set([`${server.url}/ui/rooms/team/live?parts=plan-board&page=%2Fui%2Frooms%2Fteam`]));
      expect(asked).not.toContain(`${server.url}/ui/rooms/team`);
      expect(watched.dialogs).toEqual([]);
      expect(watched.errors).toEqual([]);
    });
  }, 120_000);

  it('claims, assigns and edits a task from the board, and the plan file changes; an open editor is not swept away by a live update', async () => {
    const home = homeWithRoom('team');
    const added = cli(['plan', 'task', 'add', `migrate <img src=x onerror="alert('task')">`, '--handle', 'ana', '--json'], { home });
    expect(added.code).toBe(0);
    const id = (JSON.parse(added.stdout) as { id: string }).id;
    const server = await startServe(home, ['--handle', 'lead'], OFFLINE);
    const watched = await open(server.url);
    await withShot('plan-edit', watched, async () => {
      const { page } = watched;
      const card = `li.task[data-id="${id}"]`;
      const plan = () => JSON.parse(cli(['plan', 'tasks', '--all', '--json'], { home }).stdout) as { id: string; text: string; owner: string | null }[];
      await page.goto(`${server.url}/ui/rooms/team/plan`, { waitUntil: 'load' });
      await page.click(`${card} details.task-edit summary`);
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(`${card} form[action$="/plan/claim"] button`)]);
      expect(page.url()).toBe(`${server.url}/ui/rooms/team/plan`);
      expect(await page.$eval(`${card} .owner`, (el) => el.textContent)).toBe('@lead');
      expect(plan().find((t) => t.id === id)?.owner).toBe('lead');

      await page.click(`${card} details.task-edit summary`);
      const owner = `${card} form.assign input[name=owner]`;
      await page.$eval(owner, (el) => ((el as HTMLInputElement).value = ''));
      await page.type(owner, 'bob');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(`${card} form.assign button`)]);
      expect(plan().find((t) => t.id === id)?.owner).toBe('bob');

      // While the editor is open, a change from the terminal does not replace the board under it.
      await page.goto(`${server.url}/ui/rooms/team`, { waitUntil: 'load' });
      await page.waitForFunction(() => document.getElementById('feed-status')?.textContent === 'live', { timeout: 15_000 });
      await page.click(`${card} details.task-edit summary`);
      const text = `${card} form.edit input[name=text]`;
      await page.$eval(text, (el) => ((el as HTMLInputElement).value = ''));
      await page.type(text, 'migrate the orders table');
      expect((await cliAsync(['plan', 'task', 'add', 'from the terminal', '--handle', 'ana'], { home })).code).toBe(0);
      await page.waitForFunction(() => [...document.querySelectorAll('#feed li a')].some((a) => a.textContent === 'plan/tasks'), { timeout: 20_000 });
      await new Promise((r) => setTimeout(r, 1_000)); // past the refresh's debounce
      expect(await page.$eval(text, (el) => (el as HTMLInputElement).value)).toBe('migrate the orders table');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(`${card} form.edit button`)]);
      expect(await page.$eval(`${card} .task-text`, (el) => el.textContent)).toBe('migrate the orders table');
      expect(plan().find((t) => t.id === id)).toMatchObject({ owner: 'bob', text: 'migrate the orders table' });
      expect(readFileSync(join(home, 'rooms', 'team', 'plan', 'tasks.md'), 'utf8')).toContain('migrate the orders table');
      expect(watched.dialogs).toEqual([]);
      expect(watched.errors).toEqual([]);
    });
  }, 120_000);

  it('shows a negotiation opened and joined elsewhere on the open negotiations page without a reload', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, [], OFFLINE);
    const watched = await open(server.url);
    await withShot('negotiations-live', watched, async () => {
      const { page } = watched;
      await page.goto(`${server.url}/ui/rooms/team/negotiations`, { waitUntil: 'load' });
      await page.waitForFunction(() => document.getElementById('feed-status')?.textContent === 'live', { timeout: 15_000 });
      await page.evaluate(() => document.body.setAttribute('data-loaded-once', 'yes'));
      expect(await page.$eval('#negotiations-card', (el) => el.textContent)).toContain('No negotiations.');
      const room = await Room.open(home, 'team');
      const deps = { plan: planTasksPort };
      const session = (await openNegotiation(room, 'ana', parseOpen({ issue: ['api=rest,graphql'], participants: 'ana,bob' }), deps)).id;
      const card = (id: string) => document.querySelector(`#negotiations-card li[data-session="${id}"]`)?.textContent ?? '';
      await page.waitForFunction((id) => document.querySelector(`#negotiations-card li[data-session="${id}"]`) !== null, { timeout: 20_000 }, session);
      const refreshes = () => page.evaluate(() => Number(document.body.getAttribute('data-live-refreshes') ?? '0'));
      const before = await refreshes();
      await joinSession(room, 'ana', parseJoin({ prefer: ['api=rest>graphql'] }), deps);
      // A step of the session swaps it in again, still without a reload.
      await page.waitForFunction((n) => Number(document.body.getAttribute('data-live-refreshes') ?? '0') > n, { timeout: 20_000 }, before);
      expect(await page.evaluate(card, session)).toContain('api');
      expect(await page.evaluate(() => document.body.getAttribute('data-loaded-once'))).toBe('yes');
      expect(await page.evaluate(() => Number(document.body.getAttribute('data-live-refreshes') ?? '0'))).toBeGreaterThan(0);
      expect(watched.dialogs).toEqual([]);
      expect(watched.errors).toEqual([]);
      expect(watched.foreign).toEqual([]);
    });
  }, 120_000);

  it('renders XSS payloads in a memory body, handle, tag, frontmatter, a message, a task, an agent card and a claim path inert', async () => {
    const home = homeWithRoom('team');
    const hostile = `<script>alert('body')</script><img src=x onerror="alert('img')"><img src="https://evil.example/p.png">[click](javascript:alert('link'))`;
    const file = [
      '---',
      'version: 1',
      `updated_by: "<img src=x onerror=alert('by')>"`,
      `tags: ["<svg onload=alert('tag')>"]`,
      `owner: "<iframe src=javascript:alert('field')></iframe>"`,
      '---',
      hostile,
      '',
    ].join('\n');
    mkdirSync(join(home, 'rooms', 'team', 'evil'), { recursive: true });
    writeFileSync(join(home, 'rooms', 'team', 'evil', 'one.md'), file);
    expect(cli(['room', 'send', `<img src=x onerror="alert('message')"> <script>alert('m2')</script>`, '--handle', 'mallory'], { home }).code).toBe(0);
    expect(cli(['plan', 'task', 'add', `<img src=x onerror="alert('task')"><script>alert('t2')</script>`, '--handle', 'mallory'], { home }).code).toBe(0);
    expect(cli(['agent', 'register', '--handle', 'mallory', '--role', `<svg onload=alert('role')>`, '--description', `<img src=x onerror=alert('desc')>`], { home }).code).toBe(0);
    const room = await Room.open(home, 'team');
    await grantClaim(room, { holder: 'mallory', paths: [`src/<img src=x onerror=alert('path')>.ts`], ttl: '1h', checkpoint: `<script>alert('cp')</script>` });
    const server = await startServe(home, [], OFFLINE);
    const watched = await open(server.url);
    await withShot('xss', watched, async () => {
      const { page } = watched;
      for (const path of ['/ui', '/ui/rooms/team', '/ui/rooms/team/memory/evil/one', '/ui/rooms/team/messages', '/ui/rooms/team/search?q=alert', '/ui/rooms/team/plan', '/ui/rooms/team/claims', '/ui/rooms/team/synthesis', '/ui/rooms/team/digest']) {
        await page.goto(server.url + path, { waitUntil: 'load' });
        expect(await page.$$eval('main script, main iframe, main svg, main img[onerror]', (els) => els.length), path).toBe(0);
      }
      // The hostile body shows as text.
      await page.goto(`${server.url}/ui/rooms/team/memory/evil/one`, { waitUntil: 'load' });
      expect(await page.$eval('.markdown', (el) => el.textContent)).toContain("<script>alert('body')</script>");
      expect(await page.$$eval('a[href^="javascript"]', (els) => els.length)).toBe(0);
      await page.goto(`${server.url}/ui/rooms/team/claims`, { waitUntil: 'load' });
      expect(await page.$eval('table.claims code', (el) => el.textContent)).toBe(`src/<img src=x onerror=alert('path')>.ts`);
      expect(watched.dialogs).toEqual([]);
      expect(watched.foreign).toEqual([]);
    });
  }, 120_000);

  it('logs in with the token and keeps it out of the page, the URL and script’s reach', async () => {
    const home = homeWithRoom('team');
    const server = await startServe(home, ['--token', TOKEN], OFFLINE);
    const watched = await open(server.url);
    await withShot('login', watched, async () => {
      const { page } = watched;
      const first = await page.goto(`${server.url}/ui/rooms/team`, { waitUntil: 'load' });
      expect(first?.status()).toBe(401);
      await page.type('input[name=token]', 'wrong');
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('form button')]);
      expect(await page.$eval('.error', (el) => el.textContent)).toMatch(/not this server/);
      await page.type('input[name=token]', TOKEN);
      const [landed] = await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('main form button')]);
      expect(landed?.status()).toBe(200);
      expect(page.url()).toBe(`${server.url}/ui/rooms/team`);
      expect(page.url()).not.toContain(TOKEN);
      expect(await page.content()).not.toContain(TOKEN);
      expect(await page.evaluate(() => document.cookie)).toBe(''); // HttpOnly
      const cookies = await page.browserContext().cookies();
      expect(cookies.find((c) => c.name === 'mycelium_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      await page.waitForFunction(() => document.getElementById('feed-status')?.textContent === 'live', { timeout: 15_000 });
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click('header form button')]);
      const after = await page.goto(`${server.url}/ui`, { waitUntil: 'load' });
      expect(after?.status()).toBe(401);
      expect(watched.errors).toEqual([]);
    });
  }, 120_000);
});
