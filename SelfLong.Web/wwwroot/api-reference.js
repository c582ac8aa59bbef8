// Configuration module of the interactive API page (/api-reference, Scalar). Requests from the page to
// this server go with the sign-in cookie:
// - the page sends "Authorization: Bearer" even when no token was pasted, and a bearer header makes the
//   API authenticate by token alone (ApiTokenAuthentication), so an empty one is left off and the
//   cookie counts;
// - the API refuses a cookie-signed-in request that changes data unless it carries the antiforgery
//   token in a header (ApiAntiforgery), as the dashboard's own scripts do, so such a request gets one,
//   fetched for it (a token belongs to whoever is signed in now).
// Requests anywhere else go out untouched, so the token never leaves this origin.
const reads = ['GET', 'HEAD', 'OPTIONS', 'TRACE'];

export default {
    customFetch: async (input, init) => {
        const request = new Request(input, init);
        if (new URL(request.url).origin !== window.location.origin) return fetch(request);
        if (/^bearer\s*$/i.test(request.headers.get('authorization') ?? '-')) request.headers.delete('authorization');
        if (reads.includes(request.method)) return fetch(request);
        const answer = await fetch('/api/auth/antiforgery', { credentials: 'same-origin' });
        // Without a token the request goes as it is, and the API's refusal says why.
        if (!answer.ok) return fetch(request);
        const { headerName, token } = await answer.json();
        request.headers.set(headerName, token);
        return fetch(request);
    },
};
