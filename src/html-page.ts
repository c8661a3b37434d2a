// The shell of the pages this program writes to disk (`check --html`, `reports --html`): self-contained files that
// can be mailed, attached to a pull request or opened from disk. Their Content-Security-Policy allows no script
// and no fetch at all (inline CSS only), so a sender's text that slipped past escaping still could not run or
// call home. Every string from elsewhere in the body goes through printable.ts's html().

/** `<!doctype html>` up to `<body>`: the title (escaped by the caller) and the page's own CSS. */
export function pageStart(title: string, css: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${title}</title>
<style>
${css.trim()}
</style>
</head>
<body>
`;
}
