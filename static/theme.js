// Applies the saved theme before first paint (a classic script in <head>, so no flash
// of the wrong colours). "system" leaves it to prefers-color-scheme.
(function applySavedTheme() {
  var theme = null;
  try {
    theme = localStorage.getItem("lectern.theme");
  } catch (e) {
    // Storage blocked (privacy mode): the system theme is used.
  }
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
})();
