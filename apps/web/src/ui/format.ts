/** Times as people read them: the time today, the date otherwise. */
export function formatTime(at: number): string {
  const d = new Date(at);
  const now = new Date();
  return d.toDateString() === now.toDateString()
    ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleDateString(undefined, { day: 'numeric', month: 'short' });
}
