/**
 * Saving a received file in an iPhone's Home Screen app, which has no download manager (a download link there
 * goes nowhere, without a word): the share sheet offers "Save to Files" and "Save to Photos". The share must
 * start inside the tap, so the file is read before it.
 */

/** What Save does with this file, or null when the share sheet cannot take it (Save then downloads as anywhere). */
export function prepareShare(name: string, type: string, blob: Blob | null): (() => Promise<void>) | null {
  if (!blob || typeof navigator.share !== 'function') return null;
  const file = new File([blob], name, { type: type || 'application/octet-stream' });
  if (navigator.canShare && !navigator.canShare({ files: [file] })) return null;
  // Called synchronously in the tap; a person who closes the sheet without choosing is no error.
  return () => navigator.share({ files: [file] }).catch(() => undefined);
}
