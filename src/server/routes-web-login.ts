import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerContext } from './app.js';
import { tokenMatches } from './guard.js';
import { PAGE_HEADERS, escapeHtml, page } from './web/html.js';
import { CLEARED_SESSION_COOKIE, SESSION_COOKIE, cookieValue, safeNext, sessionCookie } from './web/session.js';

function loginPage(next: string, error = ''): string {
  const body = `<h1>Log in</h1><form class="card" method="post" action="/ui/login">
${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}<p class="muted">This server needs its token (the one given to <code>mycelium serve --token</code> or MYCELIUM_TOKEN).</p>
<input type="hidden" name="next" value="${escapeHtml(next)}">
<div class="inline"><input type="password" name="token" autocomplete="current-password" aria-label="Token" required autofocus><button type="submit">Log in</button></div></form>`;
  return page('Log in', body);
}

/** A page asked for without a session: 401 with the login form (the token never goes in a URL). */
export function loginRequired(reply: FastifyReply, url: string): FastifyReply {
  return reply.code(401).headers(PAGE_HEADERS).send(loginPage(safeNext(url.split('?')[0])));
}

/** GET/POST /ui/login and POST /ui/logout: the token is exchanged for an HttpOnly, SameSite=Strict session cookie; log out ends that session. */
export function registerLoginRoutes(app: FastifyInstance, { token, sessions }: ServerContext): void {
  app.get<{ Querystring: { next?: string } }>('/ui/login', async (request, reply) =>
    reply.headers(PAGE_HEADERS).send(token === undefined ? page('Log in', '<h1>No login needed</h1><p><a href="/ui">Rooms</a></p>') : loginPage(safeNext(request.query.next))),
  );

  app.post<{ Body: Record<string, string> }>('/ui/login', async (request, reply) => {
    const form = request.body ?? {};
    const next = safeNext(form.next);
    if (token === undefined) return reply.redirect(next, 303);
    if (!tokenMatches(typeof form.token === 'string' ? form.token : undefined, token)) {
      return reply.code(401).headers(PAGE_HEADERS).send(loginPage(next, 'That token is not this server’s; check it and try again.'));
    }
    return reply.header('Set-Cookie', sessionCookie(await sessions!.create())).redirect(next, 303);
  });

  // Ends this session on the server (the cookie is void even if a copy of it is kept) and clears it.
  app.post('/ui/logout', async (request, reply) => {
    await sessions?.revoke(cookieValue(request.headers.cookie, SESSION_COOKIE));
    return reply.header('Set-Cookie', CLEARED_SESSION_COOKIE).redirect('/ui/login', 303);
  });
}
