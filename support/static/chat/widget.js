// The customer's chat window, bottom right of every personal-area page (docs/chat-protocol.md).
import { ChatSocket, Thread, TypingSignal, el, newClientId, postForm, strings, timeFormatter } from "./core.js";

const root = document.getElementById("chat-widget");
if (root) widget(root);

function widget(root) {
  const t = strings(root);
  const $ = (selector) => root.querySelector(selector);
  const panel = $("#chat-widget-panel");
  const launcher = $("[data-launcher]");
  const badge = $("[data-badge]");
  const views = [...root.querySelectorAll("[data-view]")];
  const startForm = $("[data-view=start]");
  const composer = $("[data-composer]");
  const message = $("#chat-widget-message");
  const fileInput = $("[data-files]");
  const statusLine = $("[data-status]");
  const queueLine = $("[data-queue]");
  const typingLine = $("[data-typing]");
  const connection = $("[data-connection]");
  const ended = $("[data-ended]");
  const chatUrl = root.dataset.chatUrl; // "/chat/"
  const formatTime = timeFormatter(root.dataset.lang, root.dataset.timeZone);
  const MINIMISED_KEY = "chat-widget-minimised";

  let state = null; // GET /chat/state/
  let chat = null; // {id, wsUrl, socket, thread, typing, status, readSent}
  let startClientId = newClientId(); // kept until the start succeeds: a retried start is the same message
  let unread = 0;
  let typingTimer = null;

  // Panel ------------------------------------------------------------------------------------

  const isOpen = () => !panel.hidden;

  function openPanel() {
    panel.hidden = false;
    launcher.setAttribute("aria-expanded", "true");
    sessionStorage.removeItem(MINIMISED_KEY);
    unread = 0;
    showBadge();
    if (!state) loadState();
    markRead();
    (chat ? message : startForm.querySelector("select, textarea"))?.focus();
  }

  function closePanel() {
    panel.hidden = true;
    launcher.setAttribute("aria-expanded", "false");
    sessionStorage.setItem(MINIMISED_KEY, "1");
    launcher.focus();
  }

  function showBadge() {
    badge.hidden = unread === 0;
    badge.textContent = unread ? String(unread) : "";
    badge.setAttribute("aria-label", t("unread"));
  }

  function show(name) {
    for (const view of views) view.hidden = view.dataset.view !== name;
  }

  launcher.addEventListener("click", () => (isOpen() ? closePanel() : openPanel()));
  $("[data-minimise]").addEventListener("click", closePanel);
  panel.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closePanel();
  });

  // Start ------------------------------------------------------------------------------------

  function fillSelect(select, options, selected) {
    select.replaceChildren(
      ...options.map(({ value, label }) => {
        const option = el("option", "", label);
        option.value = value;
        option.selected = value === selected;
        return option;
      }),
    );
  }

  function formatWhen(iso) {
    if (!iso) return "";
    try {
      return new Intl.DateTimeFormat(root.dataset.lang || undefined, {
        weekday: "long", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: root.dataset.timeZone || undefined,
      }).format(new Date(iso));
    } catch {
      return iso;
    }
  }

  let loading = null;
  function loadState() {
    // One request at a time: a second fill of the selects would undo the customer's choice.
    loading = loading || fetchState().finally(() => (loading = null));
    return loading;
  }

  async function fetchState() {
    show("loading");
    let response;
    try {
      response = await fetch(root.dataset.stateUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      state = await response.json();
    } catch {
      state = null;
    }
    if (!response?.ok || !state) {
      state = null;
      $("[data-view=loading]").textContent = t("error");
      return;
    }
    fillSelect($("#chat-widget-category"), state.categories, state.categories[0]?.value);
    fillSelect($("#chat-widget-language"), state.languages, state.language);
    showOpening(state);
    if (state.live) {
      beginChat(state.live.conversation, state.live.ws_url);
      if (!sessionStorage.getItem(MINIMISED_KEY)) openPanel();
    } else if (!chat) {
      show("start");
    }
  }

  // Closed, or nobody speaks the language now: say so before the customer writes.
  function showOpening(current) {
    const peak = $("[data-peak-note]");
    if (peak) {
      // Peak time: the expected wait from the live queue and the recent handling rate.
      const busy = current.open && current.peak && current.peak.peak;
      peak.hidden = !busy;
      peak.textContent = !busy ? "" : current.peak.expected_wait_minutes
        ? t("peak", { waiting: current.peak.waiting, minutes: current.peak.expected_wait_minutes })
        : t("peak-unknown", { waiting: current.peak.waiting });
    }
    const note = $("[data-closed-note]");
    note.hidden = current.open;
    if (current.open) note.textContent = "";
    else if (current.next_open && Date.parse(current.next_open) > Date.now() + 60000) note.textContent = t("closed-now", { when: formatWhen(current.next_open) });
    else note.textContent = t("no-agent-now");
  }

  $("#chat-widget-language").addEventListener("change", async (event) => {
    try {
      const url = `${root.dataset.stateUrl}?language=${encodeURIComponent(event.target.value)}`;
      const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (response.ok) showOpening(await response.json());
    } catch {
      /* the note stays as it was; starting works either way */
    }
  });

  startForm.addEventListener("submit", async (event) => {
    event.preventDefault();
    const error = $("[data-start-error]");
    const body = startForm.elements.body.value.trim();
    if (!body) {
      startForm.elements.body.focus();
      return;
    }
    const files = [...startForm.elements.files.files];
    const data = files.length ? new FormData() : new URLSearchParams();
    data.append("category", startForm.elements.category.value);
    data.append("language", startForm.elements.language.value);
    data.append("body", body);
    data.append("client_id", startClientId);
    if (startForm.elements.help_attempt?.value) data.append("help_attempt", startForm.elements.help_attempt.value);
    for (const file of files) data.append("files", file);
    const button = startForm.querySelector("button[type=submit]");
    button.disabled = true;
    error.hidden = true;
    let result;
    try {
      result = await postForm(root.dataset.startUrl, data);
    } catch {
      result = { ok: false, payload: { error: t("error") } };
    }
    button.disabled = false;
    if (!result.ok) {
      error.textContent = result.payload.error || t("error");
      error.hidden = false;
      return;
    }
    const started = result.payload;
    const clientId = startClientId;
    startClientId = newClientId();
    startForm.reset();
    fillSelect($("#chat-widget-language"), state.languages, state.language);
    if (started.status === "closed" && started.ticket) {
      showOffline(started);
      return;
    }
    beginChat(started.conversation, started.ws_url);
    if (!chat.thread.byClientId.has(clientId)) chat.thread.addOutgoing(clientId, body, { files });
  });

  function showOffline(started) {
    const text = $("[data-offline-text]");
    const link = el("a", "", started.ticket);
    link.href = started.ticket_url || `${root.dataset.ticketsUrl}${started.ticket}/`;
    // Open hours but no agent for the language: the server's next opening is "now", not worth showing.
    const later = started.next_open_display && started.next_open && Date.parse(started.next_open) > Date.now() + 60000;
    // Formatted here, in the page's language and the customer's time zone; the server's text is the fallback.
    const template = later ? t("offline", { when: formatWhen(started.next_open) || started.next_open_display }) : t("offline-no-agent");
    const [before, after = ""] = template.split("{ticket}");
    text.replaceChildren(before, link, after);
    show("offline");
  }

  for (const button of root.querySelectorAll("[data-new-chat]")) {
    button.addEventListener("click", () => {
      endChatLocally();
      show("start");
      startForm.elements.body.focus();
    });
  }

  // Conversation -----------------------------------------------------------------------------

  function beginChat(id, wsUrl) {
    if (chat?.id === id) return;
    endChatLocally();
    const thread = new Thread({
      t,
      formatTime,
      outgoingKind: "customer",
      storageKey: `chat-pending-${id}`,
      requestResume: (after) => chat?.socket.send({ type: "resume", after }) ?? false,
    });
    const socket = new ChatSocket(wsUrl, { onFrame: receive, onState: connectionState, pingSeconds: 25 });
    chat = { id, socket, thread, status: "queued", readSent: 0 };
    chat.typing = new TypingSignal((typing) => socket.send({ type: "typing", typing }));
    $("[data-thread-host]").replaceChildren(thread.list);
    ended.hidden = true;
    composer.hidden = false;
    statusLine.textContent = t("status-queued");
    queueLine.hidden = true;
    show("chat");
    socket.connect();
  }

  function endChatLocally() {
    if (!chat) return;
    chat.socket.stop();
    chat.typing.stop();
    chat = null;
    $("[data-thread-host]").replaceChildren();
  }

  function connectionState(status, code) {
    if (status === "open" || status === "connecting") {
      connection.hidden = true;
      return;
    }
    connection.hidden = false;
    if (status === "closed") connection.textContent = code === 4401 ? t("logged-out") : t("gone");
    else connection.textContent = t("reconnecting");
  }

  function receive(frame) {
    if (!chat) return;
    const { thread } = chat;
    switch (frame.type) {
      case "hello":
        // After every (re)connect: catch up from the last seq shown, then resend what was never acked.
        thread.reconnected();
        thread.resendAll((pending) => chat.socket.send(pending));
        thread.read(frame.agent_read_seq || 0);
        setStatus(frame);
        if (frame.queue) showQueue(frame.queue);
        break;
      case "message":
        if (thread.add(frame) && frame.kind !== "customer") {
          hideTyping();
          if (!isOpen() || document.hidden) {
            unread += 1;
            showBadge();
          }
        }
        markRead();
        break;
      case "history":
        thread.history(frame);
        markRead();
        break;
      case "ack":
        thread.ack(frame);
        break;
      case "typing":
        if (frame.who === "agent") (frame.typing ? showTyping : hideTyping)();
        break;
      case "read":
        if (frame.by === "agent") thread.read(frame.seq);
        break;
      case "queue":
        showQueue(frame);
        break;
      case "status":
        setStatus(frame);
        break;
      case "error":
        if (frame.client_id && frame.code !== "rate_limited") thread.fail(frame.client_id, frame.error);
        else if (frame.client_id) setTimeout(() => chat?.thread.resendAll((pending) => chat.socket.send(pending)), 2000);
        else showSendError(frame.error);
        break;
      default:
        break; // pong and frames a newer server may add
    }
  }

  function setStatus(frame) {
    chat.status = frame.status;
    if (frame.status === "queued") {
      statusLine.textContent = t("status-queued");
    } else if (frame.status === "active") {
      statusLine.textContent = t("status-active", { agent: frame.agent || t("support") });
      if (frame.agent_code) {
        // The agent's public code, checkable on the "is this really support?" page.
        const verify = document.createElement("a");
        verify.href = `${root.dataset.checkUrl}?value=${encodeURIComponent(frame.agent_code)}`;
        verify.target = "_blank";
        verify.rel = "noopener";
        verify.textContent = t("agent-code", { code: frame.agent_code });
        statusLine.append(" ", verify);
      }
      queueLine.hidden = true;
    } else if (frame.status === "closed") {
      queueLine.hidden = true;
      hideTyping();
      statusLine.replaceChildren(t("status-closed"));
      if (frame.ticket) {
        const link = el("a", "", frame.ticket);
        link.href = `${root.dataset.ticketsUrl}${frame.ticket}/`;
        const [before, after = ""] = t("status-ticket").split("{ticket}");
        statusLine.append(" ", before, link, after);
      }
      showEnded();
    }
  }

  function showQueue(frame) {
    if (chat.status !== "queued") return;
    const seconds = frame.estimated_wait_seconds || 0;
    const wait = seconds < 60 ? t("wait-short") : t("wait-minutes", { minutes: Math.round(seconds / 60) });
    queueLine.textContent = t("queue", { position: frame.position, wait });
    queueLine.hidden = false;
  }

  function showEnded() {
    composer.hidden = true;
    ended.hidden = false;
    const base = `${chatUrl}${chat.id}/`;
    for (const link of ended.querySelectorAll("[data-transcript]")) link.href = `${chatUrl}${chat.id}/transcript.${link.dataset.transcript}`;
    $("[data-email-form]").action = `${base}transcript/email/`;
    $("[data-rate-form]").action = `${base}rate/`;
    $("[data-detail-link]").href = base;
    // Nothing more will come: stop reconnecting; the thread stays on screen.
    chat.typing.stop();
    chat.socket.stop();
  }

  function showTyping() {
    typingLine.textContent = t("typing");
    typingLine.hidden = false;
    clearTimeout(typingTimer);
    typingTimer = setTimeout(hideTyping, 8000); // a lost "stopped" frame must not leave it on
  }

  function hideTyping() {
    clearTimeout(typingTimer);
    typingLine.hidden = true;
  }

  function showSendError(text) {
    const error = $("[data-send-error]");
    error.textContent = text || t("error");
    error.hidden = false;
    setTimeout(() => (error.hidden = true), 6000);
  }

  let readTimer = null;
  function markRead() {
    // A moment's wait turns a burst of messages (a history) into one frame.
    clearTimeout(readTimer);
    readTimer = setTimeout(() => {
      if (!chat || !isOpen() || document.hidden || chat.status === "closed") return;
      const seq = chat.thread.lastSeq;
      if (seq > chat.readSent && chat.socket.send({ type: "read", seq })) chat.readSent = seq;
    }, 300);
  }
  document.addEventListener("visibilitychange", markRead);

  function sendMessage() {
    const body = message.value.trim();
    if (!chat || !body) return;
    const clientId = newClientId();
    const frame = { type: "message", client_id: clientId, body };
    chat.thread.addOutgoing(clientId, body, { frame });
    chat.socket.send(frame); // if the socket is down, the hello after reconnecting resends it
    chat.typing.stop();
    message.value = "";
    message.focus();
  }

  composer.addEventListener("submit", (event) => {
    event.preventDefault();
    sendMessage();
  });
  message.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendMessage();
    }
  });
  message.addEventListener("input", () => chat?.typing.input());

  fileInput.addEventListener("change", async () => {
    const files = [...fileInput.files];
    fileInput.value = "";
    if (!chat || !files.length) return;
    await upload(chat, files, message.value.trim());
    message.value = "";
  });

  async function upload(current, files, body) {
    const clientId = newClientId();
    current.thread.addOutgoing(clientId, body || t("uploading"), { files });
    const data = new FormData();
    data.append("client_id", clientId);
    if (body) data.append("body", body);
    for (const file of files) data.append("files", file);
    // The same client_id on every try: the server stores the upload once.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const result = await postForm(`${chatUrl}${current.id}/upload/`, data);
        if (result.ok) {
          current.thread.ack(result.payload);
          return;
        }
        current.thread.fail(clientId, result.payload.error || t("error"));
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
      }
    }
    current.thread.fail(clientId, t("error"));
  }

  $("[data-end]").addEventListener("click", () => {
    if (chat && window.confirm(t("confirm-end"))) chat.socket.send({ type: "close" });
  });

  // A chat already running (another page, another tab): reopen it.
  loadState();
}
