// Live help-centre suggestions while a customer writes a ticket or a chat question.
//
// <div data-help-suggest data-url="…/api/help/suggest/" data-solved-url="…/api/help/suggest/solved/"
//      data-context="ticket|chat" data-sources="#id_subject,#id_body"
//      data-language="en" | data-language-field="#chat-widget-language" data-hide="#the-form">
//   <input type="hidden" name="help_attempt">      (inside the form, so the attempt id is sent with it)
//   <div data-suggest-list hidden><ul></ul></div>
//   <div data-suggest-solved hidden> … <button data-suggest-again> … </div>
// </div>
// One attempt id (a UUID) per form; the server keeps the attempt's latest query and whether an article
// solved it ("This solved it") or the request was sent anyway. The server escapes title_html/snippet_html.
import { csrfToken } from "../chat/core.js";

const DEBOUNCE_MS = 250;
const MIN_CHARS = 3;

function newAttempt() {
  return crypto.randomUUID?.() ?? "10000000-1000-4000-8000-100000000000".replace(/[018]/g, (c) =>
    (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
}

function setup(box) {
  const sources = (box.dataset.sources || "").split(",").map((s) => document.querySelector(s.trim())).filter(Boolean);
  if (!sources.length) return;
  const form = sources[0].form;
  const attemptField = box.querySelector("input[name=help_attempt]") || form?.querySelector("input[name=help_attempt]");
  const listBox = box.querySelector("[data-suggest-list]");
  const list = listBox.querySelector("ul");
  const solvedBox = box.querySelector("[data-suggest-solved]");
  const hide = box.dataset.hide ? document.querySelector(box.dataset.hide) : null;
  const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
  let attempt = UUID_RE.test(attemptField?.value || "") ? attemptField.value : newAttempt(); // kept across a re-shown form
  let lastQuery = "";
  let timer = null;
  let inflight = null;
  if (attemptField) attemptField.value = attempt;

  const language = () =>
    box.dataset.languageField ? document.querySelector(box.dataset.languageField)?.value || "" : box.dataset.language || "";
  const query = () => sources.map((s) => s.value.trim()).filter(Boolean).join(" ").slice(0, 200);

  function render(items) {
    list.replaceChildren();
    for (const item of items) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = item.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.innerHTML = item.title_html; // escaped by the server; <mark> only
      const snippet = document.createElement("p");
      snippet.className = "suggest-snippet";
      snippet.innerHTML = item.snippet_html;
      const solved = document.createElement("button");
      solved.type = "button";
      solved.className = "suggest-solved-button";
      solved.dataset.slug = item.slug;
      solved.textContent = box.dataset.tSolved || "This solved it";
      li.append(link, snippet, solved);
      list.append(li);
    }
    listBox.hidden = items.length === 0;
  }

  async function fetchNow() {
    const q = query();
    if (q === lastQuery) return;
    lastQuery = q;
    if (q.length < MIN_CHARS) {
      render([]);
      return;
    }
    inflight?.abort();
    inflight = new AbortController();
    const params = new URLSearchParams({ q, context: box.dataset.context || "", attempt });
    if (language()) params.set("language", language());
    try {
      const response = await fetch(`${box.dataset.url}?${params}`, {
        headers: { Accept: "application/json" }, credentials: "same-origin", signal: inflight.signal,
      });
      if (!response.ok) return; // throttled or invalid: keep what is shown; writing works either way
      render(await response.json());
    } catch {
      /* aborted by a newer keystroke, or offline */
    }
  }

  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(fetchNow, DEBOUNCE_MS);
  };
  for (const source of sources) source.addEventListener("input", schedule);
  if (box.dataset.languageField) document.querySelector(box.dataset.languageField)?.addEventListener("change", () => {
    lastQuery = "";
    schedule();
  });

  function restart() {
    attempt = newAttempt();
    if (attemptField) attemptField.value = attempt;
    lastQuery = "";
    render([]);
  }
  form?.addEventListener("reset", () => setTimeout(restart)); // a sent chat question: the next one is a new attempt

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-slug]");
    if (!button) return;
    button.disabled = true;
    try {
      const response = await fetch(box.dataset.solvedUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify({ attempt, article: button.dataset.slug }),
      });
      if (!response.ok && response.status !== 404) throw new Error(String(response.status));
    } catch {
      button.disabled = false;
      return;
    }
    for (const s of sources) s.value = "";
    listBox.hidden = true;
    solvedBox.hidden = false;
    if (hide) hide.hidden = true;
    solvedBox.querySelector("[data-suggest-again]")?.focus();
  });

  solvedBox.querySelector("[data-suggest-again]")?.addEventListener("click", () => {
    solvedBox.hidden = true;
    if (hide) hide.hidden = false;
    restart();
    sources[sources.length - 1].focus();
  });
}

for (const box of document.querySelectorAll("[data-help-suggest]")) setup(box);
