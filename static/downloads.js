// Saving what the server made (GET /api/files/{id}/download needs the Bearer token, so the bytes
// are fetched and handed to the browser through a temporary link).

import { fetchBlob } from "./api.js";

/** Saves a blob under `filename` through a temporary link. */
export function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const link = Object.assign(document.createElement("a"), { href: url, download: filename });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** Downloads one of the user's files ({download_url, filename}, as GET /api/files lists them). */
export async function downloadFile(file) {
  saveBlob(await fetchBlob(file.download_url), file.filename);
}
