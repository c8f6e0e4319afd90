// A certified third-party OpenID provider (npm oidc-provider, panva) as the gateway's authority:
// device flow, rotating refresh tokens, JWT access tokens (RS256) for the MCP resource.
// Adapted from shared/testing/server.mjs: the MCP server's device client id, tenant acr values.
// usage: PORT=… MCP_RESOURCE=… node oidc_provider.mjs
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const Provider = require('oidc-provider').default ?? require('oidc-provider');

const PORT = Number(process.env.PORT || 4000);
const ISSUER = process.env.ISSUER || `http://127.0.0.1:${PORT}`;
const RESOURCE = process.env.MCP_RESOURCE || 'http://127.0.0.1:8080/mcp';
const ACCESS_TTL = Number(process.env.ACCESS_TTL || 600);

const provider = new Provider(ISSUER, {
  clients: [
    { client_id: 'octo-mcpServices-device', token_endpoint_auth_method: 'none',
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [], redirect_uris: [] },
  ],
  scopes: ['openid', 'offline_access', 'profile', 'email'],
  acrValues: ['tenant:demo', 'tenant:octosystem'],
  features: {
    devInteractions: { enabled: true },
    deviceFlow: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => RESOURCE,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, resourceIndicator) => ({
        scope: 'octo_api', audience: resourceIndicator, accessTokenTTL: ACCESS_TTL, accessTokenFormat: 'jwt',
      }),
    },
  },
  issueRefreshToken: async (ctx, client, code) =>
    client.grantTypeAllowed('refresh_token') && (code.scopes.has('offline_access') || code.kind === 'DeviceCode'),
  rotateRefreshToken: true,
  ttl: { DeviceCode: 600, AccessToken: ACCESS_TTL, RefreshToken: 86400 },
  findAccount: async (ctx, sub) => ({ accountId: sub, claims: async () => ({ sub, email: `${sub}@example.test` }) }),
});
provider.proxy = false;
provider.listen(PORT, '127.0.0.1', () => console.log(`oidc-provider listening on ${ISSUER}`));
