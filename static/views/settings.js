// Settings: profile, study options, card writing (which language model, with a connection
// test), theme, password, account deletion, and the admin section for administrators.

import { del, get, patch, post, put, tokens } from "../api.js";
import { fsrsPanel } from "../fsrsparams.js";
import { $, $$, busy, confirmDialog, formatDateTime, html, mount, setTitle, showError, toast } from "../ui.js";
import { mountAccountData } from "../accountdata.js";
import { mountStorage } from "../mediastorage.js";
import { mountExamBudget } from "../exam.js";

const THEME_KEY = "lectern.theme";

export async function render(root, ctx) {
  setTitle("Settings");
  const user = await get("/api/users/me");
  ctx.setUser(user);
  const s = user.settings;
  const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const prefillZone = !s.timezone || (s.timezone === "UTC" && browserZone && browserZone !== "UTC");
  const zone = prefillZone ? browserZone : s.timezone;
  const theme = localStorage.getItem(THEME_KEY) ?? "system";

  mount(
    root,
    html`<h1>Settings</h1>
      <div class="settings-grid">
        <form class="panel" data-testid="profile-form">
          <h2>Profile</h2>
          <p class="muted">Signed in as <strong>${user.email}</strong>${user.is_admin ? " · administrator" : ""}</p>
          <label class="field"><span>Display name</span>
            <input name="display_name" maxlength="80" value="${user.display_name ?? ""}" data-testid="settings-display-name"></label>
          <div class="form-actions"><button class="btn btn-primary" data-testid="profile-save">Save name</button></div>
        </form>

        <form class="panel" data-testid="study-form">
          <h2>Study</h2>
          <label class="field"><span>Desired retention</span>
            <input type="number" name="desired_retention" min="0.70" max="0.99" step="0.01" required
              value="${s.desired_retention}" data-testid="settings-retention">
            <small class="hint">The chance of remembering a card when it comes up (0.70–0.99). Higher means more reviews.</small>
          </label>
          <label class="field"><span>New cards per day</span>
            <input type="number" name="new_cards_per_day" min="0" max="9999" step="1" required
              value="${s.new_cards_per_day}" data-testid="settings-new-per-day"></label>
          <label class="field"><span>Timezone</span>
            <input name="timezone" list="timezones" required autocomplete="off" value="${zone}" data-testid="settings-timezone">
            <datalist id="timezones">${zones.map((z) => html`<option value="${z}">`)}</datalist>
            ${prefillZone
              ? html`<small class="hint" data-testid="timezone-prefilled">Prefilled from your browser (${browserZone}); save to apply.</small>`
              : browserZone && browserZone !== zone
                ? html`<small class="hint">Your browser reports ${browserZone}.
                    <button type="button" class="linklike" data-testid="use-browser-zone">Use it</button></small>`
                : ""}
          </label>
          <label class="field"><span>A new day starts at</span>
            <select name="day_start_hour" data-testid="settings-day-start">
              ${Array.from({ length: 24 }, (_, h) => html`<option value="${h}" ${h === s.day_start_hour ? "selected" : ""}>${String(h).padStart(2, "0")}:00</option>`)}
            </select>
            <small class="hint">Reviews done before this hour count for the previous day.</small>
          </label>
          <div class="form-actions"><button class="btn btn-primary" data-testid="study-save">Save study settings</button></div>
        </form>

        <section class="panel" data-testid="fsrs-section" aria-labelledby="fsrs-title">
          <h2 id="fsrs-title">Personal scheduling</h2>
          <div data-testid="fsrs-body"><p class="loading">Loading…</p></div>
        </section>

        <section class="panel llm-panel" data-testid="llm-section" aria-labelledby="llm-title">
          <h2 id="llm-title">Card writing</h2>
          <div data-testid="llm-body"><p class="loading">Loading…</p></div>
        </section>

        <section class="panel" aria-labelledby="appearance-title">
          <h2 id="appearance-title">Appearance</h2>
          <fieldset class="plain-fieldset">
          <legend>Theme</legend>
          <div class="segmented" data-testid="theme-picker">
            ${["system", "light", "dark"].map(
              (value) => html`<label data-testid="theme-${value}">
                <input type="radio" name="theme" value="${value}" ${value === theme ? "checked" : ""}>
                <span>${value[0].toUpperCase() + value.slice(1)}</span></label>`,
            )}
          </div>
          </fieldset>
          <p class="hint">“System” follows your device’s light or dark setting.</p>
        </section>

        <form class="panel" data-testid="password-form">
          <h2>Change password</h2>
          <label class="field"><span>Current password</span>
            <input type="password" name="current_password" autocomplete="current-password" required data-testid="password-current"></label>
          <label class="field"><span>New password</span>
            <input type="password" name="new_password" autocomplete="new-password" minlength="8" required data-testid="password-new"></label>
          <label class="field"><span>Repeat new password</span>
            <input type="password" name="repeat" autocomplete="new-password" required data-testid="password-repeat"></label>
          <p class="hint">Other devices will be logged out.</p>
          <div class="form-actions"><button class="btn btn-primary" data-testid="password-save">Change password</button></div>
        </form>

        <form class="panel danger-zone" data-testid="delete-account-form">
          <h2>Delete account</h2>
          <p>Deletes your decks, cards, review history and files from this server. This cannot be undone.</p>
          <label class="field"><span>Your password</span>
            <input type="password" name="password" autocomplete="current-password" required data-testid="delete-account-password"></label>
          <div class="form-actions"><button class="btn btn-danger" data-testid="delete-account">Delete my account…</button></div>
        </form>
      </div>
      ${user.is_admin ? html`<section class="panel admin" data-testid="admin-section" aria-labelledby="admin-title">
            <h2 id="admin-title">Administration</h2>
            <div data-testid="admin-body"><p class="loading">Loading…</p></div>
          </section>` : ""}`,
  );

  wireProfile(root, ctx);
  wireStudy(root, ctx, browserZone);
  wireTheme(root);
  wirePassword(root);
  wireDeleteAccount(root, ctx);
  mountAccountData($(".settings-grid", root), { user, signal: ctx.signal }).catch(showError);
  mountStorage($(".settings-grid", root), { signal: ctx.signal }).catch(showError);
  mountExamBudget($(".settings-grid", root), { user, setUser: ctx.setUser });
  const llm = drawProvider(root);
  const fsrs = fsrsPanel($("[data-testid=fsrs-body]", root), { signal: ctx.signal }).catch(showError);
  if (user.is_admin) await drawAdmin(root, user);
  await Promise.all([llm, fsrs]);
}

function onSubmit(form, buttonTestId, action) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    busy($(`[data-testid=${buttonTestId}]`, form), async () => {
      try {
        await action();
      } catch (error) {
        showError(error);
      }
    });
  });
}

function wireProfile(root, ctx) {
  const form = $("[data-testid=profile-form]", root);
  onSubmit(form, "profile-save", async () => {
    ctx.setUser(await patch("/api/users/me", { display_name: form.display_name.value.trim() }));
    toast("Name saved", "success");
  });
}

function wireStudy(root, ctx, browserZone) {
  const form = $("[data-testid=study-form]", root);
  $("[data-testid=use-browser-zone]", form)?.addEventListener("click", () => {
    form.timezone.value = browserZone;
  });
  onSubmit(form, "study-save", async () => {
    const retention = Number(form.desired_retention.value);
    if (!(retention >= 0.7 && retention <= 0.99)) {
      toast("Desired retention must be between 0.70 and 0.99.", "error");
      form.desired_retention.focus();
      return;
    }
    const user = await put("/api/users/me/settings", {
      desired_retention: retention,
      new_cards_per_day: Number(form.new_cards_per_day.value),
      timezone: form.timezone.value.trim(),
      day_start_hour: Number(form.day_start_hour.value),
    });
    ctx.setUser(user);
    $("[data-testid=timezone-prefilled]", form)?.remove();
    toast("Study settings saved", "success");
  });
}

const PROVIDERS = {
  builtin: "Built-in (offline)",
  gemini: "Google Gemini",
  openai: "OpenAI-compatible server",
};

/** The provider that writes cards is set by the server's environment; this shows which and tests it. */
async function drawProvider(root) {
  const body = $("[data-testid=llm-body]", root);
  let info;
  try {
    info = await get("/api/llm");
  } catch (error) {
    showError(error);
    mount(body, html`<p class="form-error" role="alert">${error.message}</p>`);
    return;
  }
  mount(
    body,
    html`<dl class="llm-facts">
        <dt>Provider</dt><dd data-testid="llm-provider" data-provider="${info.provider}">${PROVIDERS[info.provider] ?? info.provider}</dd>
        ${info.model ? html`<dt>Model</dt><dd data-testid="llm-model"><code>${info.model}</code></dd>` : ""}
        ${info.base_url ? html`<dt>Server</dt><dd data-testid="llm-base-url"><code>${info.base_url}</code></dd>` : ""}
      </dl>
      ${info.provider === "builtin"
        ? html`<p class="hint">The built-in generator works offline: definitions, key terms as cloze cards and slide titles with their bullets.</p>`
        : ""}
      <div class="form-actions">
        <button type="button" class="btn" data-testid="llm-test">Test connection</button>
        <span class="llm-result" role="status" data-testid="llm-test-result" hidden></span>
      </div>
      <details class="llm-howto">
        <summary>How to change it</summary>
        <p>The server administrator sets these environment variables and restarts Lectern:</p>
        <ul>
          <li><code>LECTERN_LLM</code> = <code>builtin</code> (default), <code>gemini</code> or <code>openai</code></li>
          <li>Gemini: <code>GEMINI_API_KEY</code>, <code>GEMINI_MODEL</code></li>
          <li>OpenAI-compatible (OpenAI, Ollama, llama.cpp, vLLM, LM Studio): <code>OPENAI_BASE_URL</code>,
            <code>OPENAI_API_KEY</code>, <code>OPENAI_MODEL</code></li>
        </ul>
      </details>`,
  );
  const button = $("[data-testid=llm-test]", body);
  const result = $("[data-testid=llm-test-result]", body);
  button.addEventListener("click", () =>
    busy(button, async () => {
      result.hidden = false;
      result.className = "llm-result";
      result.textContent = "Testing…";
      try {
        const check = await post("/api/llm/test");
        result.className = `llm-result ${check.ok ? "llm-ok" : "llm-error"}`;
        result.dataset.ok = String(check.ok);
        result.textContent = `${check.ok ? "✓" : "✗"} ${check.message}`;
      } catch (error) {
        result.className = "llm-result llm-error";
        result.dataset.ok = "false";
        result.textContent = `✗ ${error.message}`;
      }
    }),
  );
}

function applyTheme(theme) {
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function wireTheme(root) {
  for (const radio of $$("[name=theme]", root)) {
    radio.addEventListener("change", () => {
      localStorage.setItem(THEME_KEY, radio.value);
      applyTheme(radio.value);
    });
  }
}

function wirePassword(root) {
  const form = $("[data-testid=password-form]", root);
  onSubmit(form, "password-save", async () => {
    if (form.new_password.value !== form.repeat.value) {
      toast("The new passwords do not match.", "error");
      form.repeat.focus();
      return;
    }
    const pair = await post("/api/users/me/password", {
      current_password: form.current_password.value,
      new_password: form.new_password.value,
    });
    tokens.save(pair);
    form.reset();
    toast("Password changed; your other sessions were logged out", "success");
  });
}

function wireDeleteAccount(root, ctx) {
  const form = $("[data-testid=delete-account-form]", root);
  onSubmit(form, "delete-account", async () => {
    if (!form.password.value) {
      toast("Enter your password to delete the account.", "error");
      form.password.focus();
      return;
    }
    const ok = await confirmDialog("Every deck, card, review and file of this account will be deleted for good.", {
      title: "Delete your account?",
      confirmLabel: "Delete account",
      danger: true,
    });
    if (!ok) return;
    await del("/api/users/me", { password: form.password.value });
    tokens.clear();
    ctx.setUser(null);
    toast("Your account was deleted", "success");
    ctx.navigate("#/login");
  });
}

async function drawAdmin(root, me) {
  const body = $("[data-testid=admin-body]", root);
  let adminSettings, users;
  try {
    [adminSettings, users] = await Promise.all([get("/api/admin/settings"), get("/api/admin/users")]);
  } catch (error) {
    showError(error);
    mount(body, html`<p class="form-error" role="alert">${error.message}</p>`);
    return;
  }
  mount(
    body,
    html`<label class="switch">
        <input type="checkbox" data-testid="registration-open" ${adminSettings.registration_open ? "checked" : ""}>
        <span>Open registration: anyone who can reach this server can create an account</span>
      </label>
      <div class="table-wrap">
        <table class="users-table" data-testid="users-table">
          <thead><tr><th>Email</th><th>Name</th><th class="num">Decks</th><th class="num">Notes</th><th>Joined</th><th>Status</th><th></th></tr></thead>
          <tbody>${users.map((u) => userRow(u, me))}</tbody>
        </table>
      </div>`,
  );
  const toggle = $("[data-testid=registration-open]", body);
  toggle.addEventListener("change", () =>
    busy(toggle, async () => {
      try {
        const result = await put("/api/admin/settings", { registration_open: toggle.checked });
        toggle.checked = result.registration_open;
        toast(result.registration_open ? "Registration is open" : "Registration is closed", "success");
      } catch (error) {
        toggle.checked = !toggle.checked;
        showError(error);
      }
    }),
  );
  for (const button of $$("[data-user-id]", body)) {
    button.addEventListener("click", () =>
      busy(button, async () => {
        const disable = button.dataset.disable === "true";
        try {
          await patch(`/api/admin/users/${button.dataset.userId}`, { is_disabled: disable });
          toast(disable ? "User disabled" : "User enabled", "success");
          await drawAdmin(root, me);
        } catch (error) {
          showError(error);
        }
      }),
    );
  }
}

function userRow(u, me) {
  const self = String(u.id) === String(me.id);
  return html`<tr data-testid="user-row" data-user="${u.email}">
    <td>${u.email}${u.is_admin ? html` <span class="tag">admin</span>` : ""}</td>
    <td>${u.display_name ?? ""}</td>
    <td class="num">${u.deck_count ?? ""}</td>
    <td class="num">${u.note_count ?? ""}</td>
    <td>${formatDateTime(u.created_at)}</td>
    <td>${u.is_disabled ? html`<span class="state state-suspended">disabled</span>` : html`<span class="state state-review">active</span>`}</td>
    <td>${self
      ? html`<span class="muted">you</span>`
      : html`<button type="button" class="btn btn-small ${u.is_disabled ? "" : "btn-danger"}" data-user-id="${u.id}"
          data-disable="${!u.is_disabled}" data-testid="user-toggle">${u.is_disabled ? "Enable" : "Disable"}</button>`}</td>
  </tr>`;
}
