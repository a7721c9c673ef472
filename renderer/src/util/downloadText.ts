/** Saves text as a file through the browser's download (an `<a download>` click), as figure exports do. */
export function downloadText(text: string, fileName: string, mimeType = 'text/csv'): void {
  const url = URL.createObjectURL(new Blob([text], { type: `${mimeType};charset=utf-8` }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  // The click has started the download; the URL is not needed after this turn.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
