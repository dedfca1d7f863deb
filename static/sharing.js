// Subscribe to, unsubscribe from and copy a shared deck: the calls and their messages, shared by the
// Shared decks page and the read-only deck page. Each resolves to the result, or null when it failed
// or was cancelled (the failure is already shown).

import { del, post } from "./api.js";
import { confirmDialog, plural, showError, toast } from "./ui.js";

export async function subscribeTo(deck) {
  try {
    const result = await post(`/api/decks/${deck.id}/subscribe`);
    toast(`Subscribed to “${deck.name}”: ${plural(result.cards, "card")} to study on your own schedule`, "success");
    return result;
  } catch (error) {
    showError(error);
    return null;
  }
}

export async function unsubscribeFrom(deck) {
  const ok = await confirmDialog(
    `“${deck.name}” leaves your decks and your schedule for its cards is removed. Your review history stays.`,
    { title: "Unsubscribe?", confirmLabel: "Unsubscribe", danger: true },
  );
  if (!ok) return null;
  try {
    const result = await del(`/api/decks/${deck.id}/subscribe`);
    toast(`Unsubscribed from “${deck.name}”`, "success");
    return result ?? {};
  } catch (error) {
    showError(error);
    return null;
  }
}

export async function copyToMyDecks(deck) {
  try {
    const copy = await post(`/api/decks/${deck.id}/copy`);
    toast(`Copied as “${copy.name}” (${plural(copy.note_count, "note")}): it is yours to edit`, "success");
    return copy;
  } catch (error) {
    showError(error);
    return null;
  }
}
