/** The status line at the bottom of the page (errors in red; never thrown at the console). */
export function showStatus(message: string, isError = false): void {
  const el = document.getElementById('status');
  if (!el) return;
  el.textContent = message;
  el.classList.toggle('error', isError);
  if (isError) (window as { gmgradPageErrors?: string[] }).gmgradPageErrors?.push(message);
}
