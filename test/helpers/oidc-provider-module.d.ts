// oidc-provider ships no types; the login tests use a small part of its API.
declare module 'oidc-provider' {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  type Provider = any;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const Provider: new (issuer: string, configuration: Record<string, unknown>) => any;
  export default Provider;
}
