// Small DOM helpers shared by the views: escaped HTML templates, toasts, a confirm
// dialog, KaTeX rendering of the server's math markup, and formatting.

class SafeHtml {
  constructor(text) {
    this.text = text;
  }
  toString() {
    return this.text;
  }
}

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (ch) => ESCAPES[ch]);
}

/** Mark a string as trusted HTML: only the server's sanitized *_html fields go here. */
export function trusted(htmlText) {
  return new SafeHtml(String(htmlText ?? ""));
}

function fragment(value) {
  if (value === null || value === undefined || value === false) return "";
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(fragment).join("");
  return escapeHtml(value);
}

/** Tagged template: every interpolated value is escaped unless it is SafeHtml (or an array of it). */
export function html(strings, ...values) {
  let out = strings[0];
  values.forEach((value, i) => {
    out += fragment(value) + strings[i + 1];
  });
  return new SafeHtml(out);
}

/** Replace an element's content with a template and render any math in it. */
export function mount(element, template) {
  element.innerHTML = fragment(template);
  renderMath(element);
  return element;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];

let mathWarned = false;

/** Render the server's `<span class="math inline">` / `<div class="math block">` with KaTeX. */
function renderMath(root) {
  const nodes = root.querySelectorAll(".math.inline:not([data-rendered]), .math.block:not([data-rendered])");
  if (!nodes.length) return;
  if (!window.katex) {
    if (!mathWarned) {
      mathWarned = true;
      toast("Math cannot be rendered: KaTeX did not load", "error");
    }
    return;
  }
  for (const el of nodes) {
    const isBlock = el.classList.contains("block");
    window.katex.render(el.textContent, el, { displayMode: isBlock, throwOnError: false });
    el.dataset.rendered = "";
  }
}

// ---- toasts -----------------------------------------------------------------

const TOAST_MS = { info: 3500, success: 3500, error: 9000 };
const MAX_TOASTS = 3;

function toastRegion() {
  let region = document.getElementById("toasts");
  if (!region) {
    region = document.createElement("div");
    region.id = "toasts";
    region.className = "toasts";
    document.body.append(region);
  }
  return region;
}

/** Show a message; errors use role="alert" so screen readers announce them at once. */
export function toast(message, kind = "info") {
  const item = document.createElement("div");
  item.className = `toast toast-${kind}`;
  item.dataset.testid = kind === "error" ? "toast-error" : "toast";
  item.setAttribute("role", kind === "error" ? "alert" : "status");
  mount(item, html`<span class="toast-text">${message}</span>
    <button type="button" class="toast-close" aria-label="Dismiss">×</button>`);
  const close = () => {
    item.classList.add("leaving");
    setTimeout(() => item.remove(), 200);
  };
  item.querySelector(".toast-close").addEventListener("click", close);
  const region = toastRegion();
  region.append(item);
  // Keep the stack short: the oldest non-error message gives way first.
  const stale = [...region.children].filter((t) => !t.classList.contains("leaving"));
  if (stale.length > MAX_TOASTS) (stale.find((t) => !t.classList.contains("toast-error")) ?? stale[0]).remove();
  setTimeout(close, TOAST_MS[kind] ?? TOAST_MS.info);
  return item;
}

export function showError(error) {
  if (error?.authLost) return; // the login screen already says why
  console.error(error);
  toast(error?.message || String(error), "error");
}

// ---- confirm dialog -------------------------------------------------------------

/** A modal yes/no question; resolves to true when confirmed. */
export function confirmDialog(message, { title = "Are you sure?", confirmLabel = "Confirm", danger = false } = {}) {
  return new Promise((resolve) => {
    const dialog = document.createElement("dialog");
    dialog.className = "dialog";
    dialog.dataset.testid = "confirm-dialog";
    mount(dialog, html`<form method="dialog" class="dialog-body">
        <h2 class="dialog-title">${title}</h2>
        <p>${message}</p>
        <div class="dialog-actions">
          <button type="submit" value="cancel" class="btn" data-testid="confirm-cancel">Cancel</button>
          <button type="submit" value="ok" class="btn ${danger ? "btn-danger" : "btn-primary"}"
            data-testid="confirm-ok">${confirmLabel}</button>
        </div>
      </form>`);
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "ok");
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
    dialog.querySelector("[value=ok]").focus();
  });
}

// ---- misc -----------------------------------------------------------------------

export function debounce(fn, ms) {
  let timer = null;
  const debounced = (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
  debounced.cancel = () => clearTimeout(timer);
  return debounced;
}

/** Disable a button while an async action runs, so double clicks do not send twice. */
export async function busy(button, action) {
  if (button) button.disabled = true;
  try {
    return await action();
  } finally {
    if (button) button.disabled = false;
  }
}

export function formatDateTime(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "in 3 d", "5 min ago": rough and short, for due dates. */
export function relativeTime(iso) {
  if (!iso) return "";
  const seconds = (new Date(iso).getTime() - Date.now()) / 1000;
  const abs = Math.abs(seconds);
  const units = [
    [60, 1, "s"],
    [3600, 60, "min"],
    [86400, 3600, "h"],
    [86400 * 30, 86400, "d"],
    [86400 * 365, 86400 * 30, "mo"],
    [Infinity, 86400 * 365, "y"],
  ];
  const [, size, unit] = units.find(([limit]) => abs < limit);
  const amount = Math.max(1, Math.round(abs / size));
  if (abs < 60) return seconds >= 0 ? "now" : "just now";
  return seconds >= 0 ? `in ${amount} ${unit}` : `${amount} ${unit} ago`;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined) return "";
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

export function plural(count, word, pluralWord = `${word}s`) {
  return `${count} ${count === 1 ? word : pluralWord}`;
}

export function setTitle(text) {
  document.title = text ? `${text} · Lectern` : "Lectern";
}
