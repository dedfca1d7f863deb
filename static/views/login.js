// Log in / register screen (one form, two modes).

import { api, put, tokens } from "../api.js";
import { $, busy, html, mount, setTitle, showError } from "../ui.js";

export async function render(root, ctx) {
  setTitle("Log in");
  let config = { registration_open: true };
  try {
    config = await api("/api/auth/config", { auth: false });
  } catch (error) {
    showError(error);
  }
  // A fresh instance has no accounts yet: start on "create account" (the first one is the admin).
  const wantsRegister = ctx.query.get("mode") === "register" || config.has_users === false;
  let mode = wantsRegister && config.registration_open ? "register" : "login";

  const draw = () => {
    const registering = mode === "register";
    mount(
      root,
      html`<section class="auth">
        <div class="auth-brand">
          <span class="brand-mark brand-mark-large" aria-hidden="true">L</span>
          <p class="auth-tagline">Lecture material into knowledge you keep.</p>
        </div>
        <form class="panel auth-form" data-testid="auth-form" novalidate>
          <h1>${registering ? "Create your account" : "Log in to Lectern"}</h1>
          ${registering && config.has_users === false
            ? html`<p class="hint" data-testid="first-account">This is a new Lectern: the first account becomes its administrator.</p>`
            : ""}
          <div class="form-error" role="alert" data-testid="auth-error" hidden></div>
          <label class="field">
            <span>Email</span>
            <input type="email" name="email" autocomplete="username" required data-testid="auth-email">
          </label>
          ${registering
            ? html`<label class="field">
                <span>Display name <small class="muted">(optional)</small></span>
                <input type="text" name="display_name" autocomplete="nickname" maxlength="80" data-testid="auth-name">
              </label>`
            : ""}
          <label class="field">
            <span>Password</span>
            <input type="password" name="password" required minlength="${registering ? 8 : 1}"
              autocomplete="${registering ? "new-password" : "current-password"}" data-testid="auth-password">
            ${registering ? html`<small class="hint">At least 8 characters.</small>` : ""}
          </label>
          <button type="submit" class="btn btn-primary btn-block" data-testid="auth-submit">
            ${registering ? "Create account" : "Log in"}
          </button>
          <p class="auth-switch">
            ${registering
              ? html`Already have an account? <button type="button" class="linklike" data-testid="auth-toggle">Log in</button>`
              : config.registration_open
                ? html`New here? <button type="button" class="linklike" data-testid="auth-toggle">Create an account</button>`
                : html`<span class="muted" data-testid="registration-closed">Registration is closed on this server. Ask its administrator for an account.</span>`}
          </p>
        </form>
      </section>`,
    );
    const form = $("form", root);
    $("[data-testid=auth-toggle]", root)?.addEventListener("click", () => {
      mode = registering ? "login" : "register";
      draw();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      busy($("[data-testid=auth-submit]", form), () => submit(form, registering, ctx));
    });
    $("[name=email]", form).focus();
  };
  draw();
}

async function submit(form, registering, ctx) {
  const errorBox = $("[data-testid=auth-error]", form);
  errorBox.hidden = true;
  const email = form.email.value.trim();
  const password = form.password.value;
  const problem = !email ? "Enter your email address." : !password ? "Enter your password." : null;
  if (problem) {
    showFormError(errorBox, problem);
    return;
  }
  const body = { email, password };
  if (registering && form.display_name.value.trim()) body.display_name = form.display_name.value.trim();
  let pair;
  try {
    pair = await api(registering ? "/api/auth/register" : "/api/auth/login", { method: "POST", body, auth: false });
  } catch (error) {
    showFormError(errorBox, error.message);
    return;
  }
  tokens.save(pair);
  let user = pair.user;
  if (registering) user = await adoptBrowserTimezone(user);
  ctx.setUser(user);
  const next = ctx.query.get("next");
  ctx.navigate(next && next.startsWith("#/") && !next.startsWith("#/login") ? next : "#/decks");
}

function showFormError(box, message) {
  box.textContent = message;
  box.hidden = false;
}

/** A new account starts with the browser's timezone so "today" matches the user's day. */
async function adoptBrowserTimezone(user) {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone || user.settings?.timezone === zone) return user;
  try {
    return await put("/api/users/me/settings", { timezone: zone });
  } catch (error) {
    showError(error);
    return user;
  }
}
