/**
 * The document the sandboxed frame shows an email's HTML in. The frame has `sandbox=""` (no
 * scripts, no same-origin, no forms, no popups, no top navigation); this Content-Security-Policy,
 * placed before the email's own markup, also keeps it from fetching anything: remote images
 * (tracking pixels) only once the reader asks for them, and never anything else. The email's own
 * inline styles (`<style>`, `style=`) apply, so it shows with its design.
 */
export function emailDocument(html: string, remoteImages: boolean): string {
  const policy = ["default-src 'none'", `img-src data:${remoteImages ? ' https:' : ''}`, "style-src 'unsafe-inline'", "font-src data:"].join('; ');
  return `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${policy}"><meta name="referrer" content="no-referrer">${html}`;
}
