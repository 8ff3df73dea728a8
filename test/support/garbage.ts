/** One body sent to a route that must answer it with a 4xx, never a 5xx. */
export interface GarbageBody {
  label: string;
  payload: string;
  type?: string;
}

/** `n` nested arrays: deep enough to trip a recursive parser or validator. */
export const deepArray = (n: number): string => '['.repeat(n) + ']'.repeat(n);

/** `n` nested objects. */
export const deepObject = (n: number): string => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

/** The bodies every face is fed, whatever its schema: malformed, the wrong shape, hostile. */
export const COMMON_GARBAGE: GarbageBody[] = [
  { label: 'not JSON', payload: '{"a":' },
  { label: 'empty', payload: '' },
  { label: 'null', payload: 'null' },
  { label: 'array', payload: '[1,2,3]' },
  { label: 'string', payload: '"text"' },
  {
    label: 'prototype pollution',
    payload: '{"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}}',
  },
  { label: 'deeply nested', payload: deepArray(5_000) },
];
