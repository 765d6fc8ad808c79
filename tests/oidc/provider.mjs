// A real OpenID provider for sagsflow's tests: node-oidc-provider (certified),
// on loopback, with its development login form.
//
//   node provider.mjs CONFIG.json
//
// CONFIG: {"port": 0, "clients": [{"client_id", "client_secret",
//          "redirect_uris", "post_logout_redirect_uris"}], "id_token_ttl": 3600}
// Port 0 lets the system pick a free one. Once it listens, the provider prints
// one line of JSON to stdout, {"event": "ready", "issuer": "http://127.0.0.1:PORT"},
// and serves until SIGTERM or SIGINT.
//
// Any login typed into the form is an account: its `sub` and
// `preferred_username` are the login, its `email` is LOGIN@example.org, its
// `name` "Test LOGIN". The claims go into the ID token (conformIdTokenClaims
// off), as Entra ID and AD FS put theirs. PKCE (S256) is required of every
// client. The signing key is an RSA key made at start, so every start has new
// keys (and a new `kid`).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import Provider from 'oidc-provider';

const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function signingKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return {
    ...privateKey.export({ format: 'jwk' }),
    kid: randomBytes(8).toString('hex'),
    alg: 'RS256',
    use: 'sig',
  };
}

function account(login) {
  return {
    accountId: login,
    async claims() {
      return {
        sub: login,
        preferred_username: login,
        email: `${login}@example.org`,
        email_verified: true,
        name: `Test ${login}`,
      };
    },
  };
}

const server = createServer();
server.listen(config.port ?? 0, '127.0.0.1', () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients.map((client) => ({
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      ...client,
    })),
    jwks: { keys: [signingKey()] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    claims: {
      openid: ['sub'],
      profile: ['preferred_username', 'name'],
      email: ['email', 'email_verified'],
    },
    conformIdTokenClaims: false,
    findAccount: async (ctx, id) => account(id),
    pkce: { required: () => true, methods: ['S256'] },
    features: {
      devInteractions: { enabled: true },
      rpInitiatedLogout: { enabled: true },
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: config.id_token_ttl ?? 3600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
  });
  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ event: 'ready', issuer })}\n`);
});

function stop() {
  server.close();
  server.closeAllConnections();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
