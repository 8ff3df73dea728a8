/** Shows a code in groups of four ("ABCD-EFGH-…") so people can read it out and type it. */
export function groupInFours(code: string): string {
  return (code.match(/.{1,4}/g) ?? []).join('-');
}
