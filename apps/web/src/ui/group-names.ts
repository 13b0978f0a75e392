/** The usernames typed into a group's "add people" or "members" field. */
export function splitNames(text: string): string[] {
  return text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}
