// Behaviour the templates declare with data attributes (the Content-Security-Policy allows no inline handlers).
import { insertAtCursor } from "./insert.js";

// <select data-autosubmit>: choosing an option submits its form (language switch, category pickers).
document.addEventListener("change", (event) => {
  const field = event.target.closest?.("[data-autosubmit]");
  if (field?.form) field.form.submit();  // as before: no validation of the fields the page re-renders for
});

// <button data-canned="text" data-canned-target="id_body">: puts a canned reply into the reply box (admin).
document.addEventListener("click", (event) => {
  const button = event.target.closest?.("[data-canned]");
  if (!button) return;
  const target = document.getElementById(button.dataset.cannedTarget || "id_body");
  if (target) {
    target.value = button.dataset.canned;
    target.focus();
  }
});

// <button data-insert-text="Title: URL" data-insert-target="id_body">: puts the text into the reply box at the
// caret, keeping what the agent typed (the admin ticket page's suggested articles).
document.addEventListener("click", (event) => {
  const button = event.target.closest?.("[data-insert-text]");
  if (!button) return;
  const target = document.getElementById(button.dataset.insertTarget || "id_body");
  if (target) insertAtCursor(target, button.dataset.insertText);
});

// <a data-open-chat href="...">: opens the page's chat widget instead of leaving the page (the link stays for a
// page without the widget, or without scripts).
document.addEventListener("click", (event) => {
  const link = event.target.closest?.("[data-open-chat]");
  const launcher = document.querySelector("[data-launcher]");
  if (!link || !launcher) return;
  event.preventDefault();
  if (launcher.getAttribute("aria-expanded") !== "true") launcher.click();
});
