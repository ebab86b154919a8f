/**
 * What a key looks like, for refusing one where keys must never be written (the config file):
 * a name like `anthropic_api_key` or `token`, or a value with a provider key's prefix.
 */
const KEY_NAME = /(^|[_-])(api[_-]?key|token|secret|password)$/i;
const KEY_VALUE = /^(sk-ant-|sk-proj-|sk-)[A-Za-z0-9_-]{16,}$/;

export function looksLikeKeyName(name: string): boolean {
  return KEY_NAME.test(name);
}

export function looksLikeKeyValue(value: string): boolean {
  return KEY_VALUE.test(value.trim());
}
