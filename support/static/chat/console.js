// The agent console: availability, queue, offers, several chats at once, customer context,
// supervisor's view of every live chat (docs/chat-protocol.md, /ws/chat/agent/).
import { ChatSocket, Thread, TypingSignal, duration, el, newClientId, postForm, strings, timeFormatter } from "./core.js";
import { insertAtCursor } from "../support/insert.js";

const root = document.getElementById("chat-console");
if (root) consoleApp(root, JSON.parse(document.getElementById("chat-console-config").textContent));

function consoleApp(root, config) {
  const t = strings(root);
  const $ = (selector) => root.querySelector(selector);
  const chatUrl = root.dataset.chatUrl;
  const formatTime = timeFormatter(root.dataset.lang, root.dataset.timeZone);
  const languageLabels = Object.fromEntries((config.languages || []).map((l) => [l.value, l.label]));
  const categoryLabels = Object.fromEntries((config.categories || []).map((c) => [c.value, c.label]));
  const languageLabel = (code) => languageLabels[code] || code || "";
  const categoryLabel = (value) => categoryLabels[value] || value || "";

  const chats = new Map(); // conversation id -> chat
  const offers = new Map(); // conversation id -> {frame, expiresAt, node}
  let selected = null;
  let myName = "";
  let supervisor = !!config.supervisor;
  let availability = "away";
  let queue = [];
  let queueAt = Date.now();
  let clockOffset = 0; // server clock minus ours, from the queue's own timings
  let live = [];
  let wantSelected = null; // a chat the agent asked to watch or take over: show it when it arrives

  const socket = new ChatSocket(config.ws_url, { onFrame: receive, onState: connectionState, pingSeconds: 20 });

  // Sound and desktop notifications --------------------------------------------------------

  let audio = null;
  function unlockAudio() {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") audio.resume();
    } catch {
      audio = null;
    }
  }
  document.addEventListener("pointerdown", unlockAudio, { once: true });

  function chime(notes = [880, 1175]) {
    if (!audio || audio.state !== "running") return;
    const start = audio.currentTime;
    notes.forEach((frequency, i) => {
      const at = start + i * 0.18;
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = frequency;
      gain.gain.setValueAtTime(0.0001, at);
      gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.16);
      osc.connect(gain).connect(audio.destination);
      osc.start(at);
      osc.stop(at + 0.17);
    });
  }

  const alertsButton = $("[data-alerts]");
  function updateAlertsButton() {
    alertsButton.hidden = !("Notification" in window) || Notification.permission !== "default";
  }
  alertsButton.addEventListener("click", async () => {
    unlockAudio();
    if ("Notification" in window) await Notification.requestPermission();
    updateAlertsButton();
    chime([660]);
  });
  updateAlertsButton();

  function desktopNotice(title, body, tag) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    if (!document.hidden && document.hasFocus()) return;
    const notice = new Notification(title, { body, tag });
    notice.onclick = () => {
      window.focus();
      notice.close();
    };
  }

  // Connection and status bar --------------------------------------------------------------

  function connectionState(status, code) {
    const line = $("[data-connection]");
    line.classList.toggle("chat-connection--down", status !== "open");
    if (status === "open") line.textContent = t("connected");
    else if (status === "connecting") line.textContent = t("connecting");
    else if (status === "closed") line.textContent = code === 4401 ? t("logged-out") : t("forbidden");
    else line.textContent = t("reconnecting");
  }

  let toastTimer = null;
  function toast(text, { error = true } = {}) {
    const node = $("[data-toast]");
    node.textContent = text;
    node.classList.toggle("chat-toast--info", !error);
    node.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (node.hidden = true), 8000);
  }

  const availabilityButton = $("[data-availability]");
  function setAvailability(status) {
    availability = status;
    const on = status === "available";
    availabilityButton.setAttribute("aria-checked", String(on)); // a switch keeps its name; the state says on or off
    availabilityButton.title = on ? t("available") : t("away");
    availabilityButton.classList.toggle("chat-availability--on", on);
  }
  availabilityButton.addEventListener("click", () => {
    unlockAudio();
    socket.send({ type: "availability", status: availability === "available" ? "away" : "available" });
  });

  function updateTitle() {
    const count = offers.size + [...chats.values()].reduce((sum, chat) => sum + chat.unread, 0);
    const base = document.title.replace(/^\(\d+\) /, "");
    document.title = count ? `(${count}) ${base}` : base;
  }

  // Frames ---------------------------------------------------------------------------------

  function receive(frame) {
    const chat = frame.conversation ? chats.get(frame.conversation) : null;
    switch (frame.type) {
      case "hello":
        hello(frame);
        break;
      case "queue":
        // A watched chat's group also carries the customer's own position frame (no entries): not ours.
        if (Array.isArray(frame.entries)) renderQueue(frame.entries);
        break;
      case "offer":
        addOffer(frame);
        break;
      case "offer_withdrawn":
        removeOffer(frame.conversation);
        break;
      case "accepted": {
        // The chat's category and language come from the queue entry or the offer.
        const known = queue.find((e) => e.conversation === frame.conversation) || offers.get(frame.conversation)?.frame || {};
        removeOffer(frame.conversation);
        const accepted = upsert(frame.conversation, {
          role: "mine", status: "active", context: frame.customer, category: known.category, language: known.language, vip: known.vip,
        });
        accepted.thread.reconnected();
        select(accepted.id);
        break;
      }
      case "watching": {
        const known = live.find((e) => e.conversation === frame.conversation) || queue.find((e) => e.conversation === frame.conversation) || {};
        const watched = upsert(frame.conversation, {
          role: chat?.role === "mine" ? "mine" : "watching",
          status: frame.status,
          context: frame.customer,
          language: known.language,
          vip: known.vip,
          category: known.category,
        });
        watched.thread.reconnected();
        if (!selected || wantSelected === watched.id) select(watched.id);
        break;
      }
      case "context":
        if (chat) {
          chat.context = frame.customer;
          renderChat(chat);
        }
        break;
      case "assigned": {
        // A transfer or a take-over gave us the chat: learn its state, then follow it.
        const assigned = upsert(frame.conversation, { role: "mine" });
        socket.send({ type: "watch", conversation: assigned.id });
        if (!selected || wantSelected === assigned.id) select(assigned.id);
        break;
      }
      case "unassigned":
        if (chat) {
          chat.role = "gone";
          chat.customerTyping = false;
          renderChat(chat);
        }
        break;
      case "transferred":
        toast(t("transferred"), { error: false });
        break;
      case "converted":
        if (chat) {
          chat.ticket = { reference: frame.ticket, url: frame.url };
          renderChat(chat);
        }
        break;
      case "message":
        if (chat && chat.thread.add(frame) && frame.kind === "customer") {
          chat.customerTyping = false;
          suggestionsLater(chat);
          if (chat !== selectedChat() || document.hidden) {
            chat.unread += 1;
            chime([660]);
          }
          renderChat(chat);
        }
        if (chat) markRead(chat);
        break;
      case "history":
        if (chat) {
          chat.thread.history(frame);
          markRead(chat);
        }
        break;
      case "ack":
        chat?.thread.ack(frame);
        break;
      case "typing":
        if (chat && frame.who === "customer") {
          chat.customerTyping = frame.typing;
          clearTimeout(chat.typingTimer);
          if (frame.typing) chat.typingTimer = setTimeout(() => {
            chat.customerTyping = false;
            renderChat(chat);
          }, 8000);
          renderChat(chat);
        }
        break;
      case "read":
        if (chat && frame.by === "customer") chat.thread.read(frame.seq);
        break;
      case "status":
        if (chat) {
          chat.status = frame.status;
          if (frame.ticket && !chat.ticket) chat.ticket = { reference: frame.ticket, url: null };
          if (frame.status === "closed") chat.customerTyping = false;
          renderChat(chat);
        }
        live = live.map((row) => (row.conversation === frame.conversation ? { ...row, status: frame.status, agent: frame.agent || null } : row));
        renderLive();
        break;
      case "availability":
        setAvailability(frame.status);
        break;
      case "error":
        frameError(frame);
        break;
      default:
        break; // pong, and frames a newer server may add
    }
    updateTitle();
  }

  function hello(frame) {
    myName = frame.agent || "";
    supervisor = !!frame.supervisor;
    setAvailability(frame.availability);
    const mine = new Set();
    for (const c of frame.conversations) {
      mine.add(c.conversation);
      const chat = upsert(c.conversation, {
        role: "mine", status: "active", customer: c.customer, category: c.category, language: c.language, vip: c.vip,
      });
      chat.thread.read(c.customer_read_seq || 0);
      if (!chat.context) socket.send({ type: "context", conversation: chat.id });
    }
    for (const chat of chats.values()) {
      // Chats we watched, or that ended or moved while we were away: follow again and learn their state.
      if (!mine.has(chat.id) && chat.role !== "gone" && chat.status !== "closed") socket.send({ type: "watch", conversation: chat.id });
      if (chat.role !== "gone") {
        chat.thread.reconnected();
        chat.thread.resendAll((pending) => socket.send(pending));
      }
    }
    renderQueue(frame.queue || []);
    live = frame.live || [];
    $("[data-supervisor]").hidden = !supervisor;
    renderLive();
    renderTabs();
    if (!selected && frame.conversations.length) select(frame.conversations[0].conversation);
  }

  function frameError(frame) {
    if (frame.client_id) {
      for (const chat of chats.values()) {
        if (!chat.thread.pending.has(frame.client_id)) continue;
        if (frame.code === "rate_limited") setTimeout(() => chat.thread.resendAll((p) => socket.send(p)), 2000);
        else chat.thread.fail(frame.client_id, frame.error);
        return;
      }
    }
    if (frame.code !== "rate_limited") toast(frame.error || t("error"));
  }

  // Lists are redrawn whole; a keyboard user's focus stays on the same control (data-key).
  function redraw(container, nodes) {
    const key = container.contains(document.activeElement) ? document.activeElement.dataset.key : null;
    container.replaceChildren(...nodes);
    if (key) container.querySelector(`[data-key="${CSS.escape(key)}"]`)?.focus();
  }

  // Chats ----------------------------------------------------------------------------------

  function upsert(id, fields) {
    let chat = chats.get(id);
    if (!chat) {
      chat = {
        id, role: "mine", status: "active", customer: "", category: "", language: "", vip: false,
        context: null, unread: 0, readSent: 0, readTimer: null, customerTyping: false, ticket: null, typingTimer: null,
        suggestions: null, suggestStale: true, suggestTimer: null, suggestAsked: 0,
      };
      chat.thread = new Thread({
        t, formatTime, outgoingKind: "agent", staff: true,
        requestResume: (after) => socket.send({ type: "resume", conversation: id, after }),
      });
      chat.typing = new TypingSignal((typing) => writable(chat) && socket.send({ type: "typing", conversation: id, typing }));
      chats.set(id, chat);
    }
    for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== null) chat[key] = value;
    if (chat.context) {
      chat.customer = chat.customer || chat.context.name;
      chat.vip = chat.vip || chat.context.vip;
    }
    renderTabs();
    if (chat === selectedChat()) renderChat(chat);
    return chat;
  }

  const selectedChat = () => (selected ? chats.get(selected) : null);
  const writable = (chat) => chat.role === "mine" && chat.status === "active";

  function select(id) {
    if (wantSelected === id) wantSelected = null;
    const previous = selectedChat();
    previous?.typing.stop();
    selected = id;
    const chat = chats.get(id);
    if (!chat) return;
    chat.unread = 0;
    $("[data-thread-host]").replaceChildren(chat.thread.list);
    fillCanned(chat);
    renderTabs();
    renderChat(chat);
    if (chat.suggestStale) loadSuggestions(chat);
    markRead(chat);
    chat.thread.list.lastElementChild?.scrollIntoView({ block: "end" });
    updateTitle();
  }

  function markRead(chat) {
    // A moment's wait: a burst (history, the closing message and its status) becomes one frame, sent only if still open.
    clearTimeout(chat.readTimer);
    chat.readTimer = setTimeout(() => {
      if (chat !== selectedChat() || document.hidden || !writable(chat)) return;
      const seq = chat.thread.lastSeq;
      if (seq > chat.readSent && socket.send({ type: "read", conversation: chat.id, seq })) chat.readSent = seq;
    }, 400);
  }
  document.addEventListener("visibilitychange", () => {
    const chat = selectedChat();
    if (chat) {
      chat.unread = 0;
      markRead(chat);
      renderTabs();
      updateTitle();
    }
  });

  function statusText(chat) {
    if (chat.role === "gone") return t("transferred-away");
    const status = t(`status-${chat.status}`);
    return chat.role === "watching" ? `${t("watching")} · ${status}` : status;
  }

  function renderTabs() {
    redraw(
      $("[data-mine]"),
      [...chats.values()].map((chat) => {
        const item = el("li", "chat-tab");
        item.classList.toggle("chat-tab--ended", chat.status === "closed" || chat.role === "gone");
        const button = el("button", "chat-tab__button");
        button.type = "button";
        button.dataset.key = `tab:${chat.id}`;
        if (chat.id === selected) button.setAttribute("aria-current", "true");
        button.append(el("span", "chat-tab__name", chat.customer || chat.id));
        if (chat.vip) button.append(" ", el("span", "badge", t("vip")));
        button.append(el("span", "chat-tab__status", statusText(chat)));
        if (chat.customerTyping) button.append(el("span", "chat-tab__typing", "…"));
        if (chat.unread) button.append(el("span", "chat-count", String(chat.unread)));
        button.addEventListener("click", () => select(chat.id));
        item.append(button);
        if (chat.status === "closed" || chat.role === "gone") {
          const dismiss = el("button", "chat-icon-button", "×");
          dismiss.type = "button";
          dismiss.dataset.key = `dismiss:${chat.id}`;
          dismiss.setAttribute("aria-label", `${t("dismiss")}: ${chat.customer || chat.id}`);
          dismiss.addEventListener("click", () => removeChat(chat.id));
          item.append(dismiss);
        }
        return item;
      }),
    );
    $("[data-mine-empty]").hidden = chats.size > 0;
  }

  function removeChat(id) {
    const chat = chats.get(id);
    chat?.typing.stop();
    clearTimeout(chat?.suggestTimer);
    chats.delete(id);
    if (selected === id) {
      selected = null;
      $("[data-pane]").hidden = true;
      $("[data-pane-empty]").hidden = false;
      renderContext(null);
      renderSuggestions(null);
    }
    renderTabs();
  }

  function renderChat(chat) {
    renderTabs();
    if (chat !== selectedChat()) return;
    $("[data-pane-empty]").hidden = true;
    $("[data-pane]").hidden = false;
    $("[data-pane-title]").textContent = chat.customer || chat.id;
    $("[data-pane-status]").textContent = [statusText(chat), categoryLabel(chat.category), languageLabel(chat.language)].filter(Boolean).join(" · ");
    const typing = $("[data-typing]");
    typing.hidden = !chat.customerTyping;
    typing.textContent = chat.customerTyping ? t("typing") : "";
    const ticket = $("[data-pane-ticket]");
    ticket.hidden = !chat.ticket;
    if (chat.ticket) {
      const [before, after = ""] = t("converted").split("{ticket}");
      const link = el(chat.ticket.url ? "a" : "strong", "", chat.ticket.reference);
      if (chat.ticket.url) link.href = chat.ticket.url;
      ticket.replaceChildren(before, link, after);
    }
    const canWrite = writable(chat);
    const composer = $("[data-composer]");
    composer.hidden = !canWrite;
    for (const control of composer.elements) control.disabled = !canWrite;
    $("[data-files]").disabled = !canWrite || $("[data-internal]").checked;
    const live = chat.status !== "closed" && chat.role !== "gone";
    const manage = live && (chat.role === "mine" || supervisor);
    $("[data-actions]").hidden = !live;
    for (const selector of ["[data-transfer-target]", "[data-transfer]", "[data-close]"]) $(selector).hidden = !manage;
    $("label[for=chat-transfer]").hidden = !manage;
    $("[data-convert]").hidden = !canWrite;
    $("[data-takeover]").hidden = !(supervisor && live && chat.role !== "mine");
    renderContext(chat.context);
    renderSuggestions(chat);
  }

  function renderContext(context) {
    const panel = $("[data-context]");
    $("[data-context-empty]").hidden = !!context;
    panel.hidden = !context;
    if (!context) return;
    const cell = (key) => panel.querySelector(`[data-c=${key}]`);
    cell("name").textContent = context.name || "";
    cell("email").textContent = context.email || "";
    cell("account_number").textContent = context.account_number || "—";
    cell("tier").replaceChildren(context.tier || "—");
    if (context.vip) cell("tier").append(" ", el("span", "badge", t("vip")));
    cell("language").textContent = languageLabel(context.language) || "—";
    cell("time_zone").textContent = context.time_zone || "—";
    cell("verification").textContent = context.verification && context.verification !== "unknown" ? context.verification : t("customer-unknown");
    const tickets = (context.open_tickets || []).map((ticket) => {
      const item = el("li");
      const link = el("a", "", ticket.reference);
      link.href = ticket.url;
      link.target = "_blank";
      link.rel = "noopener";
      item.append(link, ` ${ticket.subject} (${ticket.status})`);
      return item;
    });
    const list = el("ul", "chat-context__tickets");
    list.append(...tickets);
    cell("open_tickets").replaceChildren(tickets.length ? list : "—");
    cell("previous_chats").textContent = String(context.previous_chats ?? 0);
  }

  // Composer -------------------------------------------------------------------------------

  const reply = $("[data-reply]");
  const internal = $("[data-internal]");

  function sendReply() {
    const chat = selectedChat();
    const body = reply.value.trim();
    if (!chat || !body || !writable(chat)) return;
    const clientId = newClientId();
    const frame = { type: "message", conversation: chat.id, client_id: clientId, body, internal: internal.checked };
    chat.thread.addOutgoing(clientId, body, { frame, internal: internal.checked });
    socket.send(frame); // while disconnected, the hello after reconnecting resends it
    chat.typing.stop();
    reply.value = "";
    internal.checked = false;
    syncInternal();
    chat.thread.list.lastElementChild?.scrollIntoView({ block: "end" });
    reply.focus();
  }

  $("[data-composer]").addEventListener("submit", (event) => {
    event.preventDefault();
    sendReply();
  });
  reply.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      sendReply();
    }
  });
  reply.addEventListener("input", () => {
    // An internal note is not the customer's business: no typing signal for it.
    if (!internal.checked) selectedChat()?.typing.input();
  });

  function syncInternal() {
    const composer = $("[data-composer]");
    composer.classList.toggle("chat-composer--note", internal.checked);
    const chat = selectedChat();
    $("[data-files]").disabled = internal.checked || !chat || !writable(chat); // files always go to the customer
    if (internal.checked) chat?.typing.stop();
  }
  internal.addEventListener("change", syncInternal);

  $("[data-files]").addEventListener("change", async (event) => {
    const input = event.target;
    const files = [...input.files];
    input.value = "";
    const chat = selectedChat();
    if (!chat || !files.length || !writable(chat)) return;
    const body = reply.value.trim();
    reply.value = "";
    const clientId = newClientId();
    chat.thread.addOutgoing(clientId, body || t("uploading"), { files });
    const data = new FormData();
    data.append("client_id", clientId);
    if (body) data.append("body", body);
    for (const file of files) data.append("files", file);
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        const result = await postForm(`${chatUrl}${chat.id}/upload/`, data);
        if (result.ok) chat.thread.ack(result.payload);
        else chat.thread.fail(clientId, result.payload.error || t("error"));
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 1000 * 2 ** attempt));
      }
    }
    chat.thread.fail(clientId, t("error"));
  });

  // Canned replies: {customer_name} and {agent_name} are filled in, other placeholders left for the agent.
  const canned = $("[data-canned]");
  function fillCanned(chat) {
    const option = (value, label) => {
      const node = el("option", "", label);
      node.value = value;
      return node;
    };
    const group = (label, replies) => {
      const node = el("optgroup");
      node.label = label;
      node.append(...replies.map((r) => option(r.id, r.title)));
      return node;
    };
    // The replies that fit this chat (from the server, filled in) first; each reply is listed once.
    const suggested = chat.suggestions?.canned || [];
    const shown = new Set(suggested.map((r) => r.id));
    const replies = (config.canned || []).filter((r) => !shown.has(r.id));
    const here = replies.filter((r) => !r.language || r.language === chat.language);
    const other = replies.filter((r) => r.language && r.language !== chat.language);
    canned.replaceChildren(option("", t("canned-placeholder")));
    if (suggested.length) canned.append(group(t("canned-suggested"), suggested.map((r) => ({ id: `s:${r.id}`, title: r.title }))));
    if (here.length) canned.append(group(t("canned-this-language"), here));
    if (other.length) canned.append(group(t("canned-other"), other));
    canned.hidden = replies.length + suggested.length === 0;
  }

  function agentFirstName() {
    // Customers see an agent's first name only.
    return myName && !myName.includes("@") ? myName.split(/\s+/)[0] : "";
  }

  canned.addEventListener("change", () => {
    const value = canned.value;
    canned.value = "";
    const chat = selectedChat();
    if (!chat) return;
    let text;
    if (value.startsWith("s:")) {
      const chosen = (chat.suggestions?.canned || []).find((r) => `s:${r.id}` === value);
      if (!chosen) return;
      text = chosen.body; // filled in by the server for this chat
    } else {
      const chosen = (config.canned || []).find((r) => String(r.id) === value);
      if (!chosen) return;
      const customerName = chat.context?.name || chat.customer || "";
      text = chosen.body
        .replace(/\{customer_name\}/g, customerName || "{customer_name}")
        .replace(/\{agent_name\}/g, agentFirstName() || "{agent_name}");
    }
    const start = reply.selectionStart ?? reply.value.length;
    const end = reply.selectionEnd ?? reply.value.length;
    reply.value = reply.value.slice(0, start) + text + reply.value.slice(end);
    reply.focus();
    reply.selectionStart = reply.selectionEnd = start + text.length;
  });

  // Suggested articles ---------------------------------------------------------------------
  // For the chat on screen, from GET /api/agent/suggestions/?conversation=<id>: when it is opened, and again
  // a moment after the customer writes (several quick messages make one request). "Insert link" puts
  // "Title: URL" into the reply at the caret.

  const SUGGEST_DEBOUNCE_MS = 1500;
  const suggestBox = $("[data-suggest]");

  function suggestionsLater(chat) {
    chat.suggestStale = true;
    clearTimeout(chat.suggestTimer);
    if (chat === selectedChat()) chat.suggestTimer = setTimeout(() => loadSuggestions(chat), SUGGEST_DEBOUNCE_MS);
  }

  async function loadSuggestions(chat) {
    clearTimeout(chat.suggestTimer);
    chat.suggestStale = false;
    chat.suggestAsked += 1;
    const asked = chat.suggestAsked;
    let payload;
    try {
      const response = await fetch(`${root.dataset.suggestUrl}?conversation=${encodeURIComponent(chat.id)}`, {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      });
      if (response.ok) payload = await response.json();
      else if (response.status === 404) payload = null; // no longer ours
      else chat.suggestStale = true; // throttled or failed: ask again next time
    } catch {
      chat.suggestStale = true;
    }
    if (asked !== chat.suggestAsked || payload === undefined) return; // a newer answer is coming, or keep what we had
    chat.suggestions = payload;
    if (chat === selectedChat()) {
      renderSuggestions(chat);
      fillCanned(chat);
    }
  }

  let suggestShown = { payload: null, canInsert: null };
  function renderSuggestions(chat) {
    const articles = chat?.suggestions?.articles;
    suggestBox.hidden = !articles;
    if (!articles) return;
    $("[data-suggest-empty]").hidden = articles.length > 0;
    const canInsert = writable(chat);
    // Drawn again only when they change: a typing frame must not swap the button under the agent's pointer.
    if (suggestShown.payload === chat.suggestions && suggestShown.canInsert === canInsert) return;
    suggestShown = { payload: chat.suggestions, canInsert };
    redraw(
      $("[data-suggest-list]"),
      articles.map((article) => {
        const item = el("li", "chat-suggest__item");
        item.dataset.slug = article.slug;
        const open = el("a", "", t("open-article"));
        open.href = article.url;
        open.target = "_blank";
        open.rel = "noopener";
        open.dataset.key = `open:${article.slug}`;
        open.setAttribute("aria-label", `${t("open-article")}: ${article.title}`);
        const insert = actionButton(t("insert-link"), "chat-secondary", () => {
          if (writable(chat)) insertAtCursor(reply, article.insert_text);
        }, `insert:${article.slug}`);
        insert.setAttribute("aria-label", `${t("insert-link")}: ${article.title}`);
        insert.disabled = !canInsert;
        item.append(el("strong", "chat-suggest__title", article.title), el("p", "chat-suggest__snippet", article.snippet), open, " ", insert);
        return item;
      }),
    );
  }

  // Actions --------------------------------------------------------------------------------

  const transferTarget = $("[data-transfer-target]");
  (function fillTransfer() {
    const option = (value, label) => {
      const node = el("option", "", label);
      node.value = value;
      return node;
    };
    transferTarget.append(option("", t("transfer-choose")));
    const agents = el("optgroup");
    agents.label = t("transfer-agents");
    agents.append(...(config.agents || []).map((a) => option(`agent:${a.id}`, `${a.name} (${t(a.status) || a.status})`)));
    const languages = el("optgroup");
    languages.label = t("transfer-languages");
    languages.append(...(config.languages || []).map((l) => option(`language:${l.value}`, l.label)));
    if ((config.agents || []).length) transferTarget.append(agents);
    transferTarget.append(languages);
  })();

  $("[data-transfer]").addEventListener("click", () => {
    const chat = selectedChat();
    const [kind, value] = transferTarget.value.split(":");
    if (!chat || !value) {
      transferTarget.focus();
      return;
    }
    const frame = { type: "transfer", conversation: chat.id };
    if (kind === "agent") frame.to_agent = Number(value);
    else frame.to_language = value;
    socket.send(frame);
    transferTarget.value = "";
  });

  // Ending the chat: no more typing or read frames for it (the server would refuse them once it is closed).
  function ending(chat) {
    chat.typing.stop();
    clearTimeout(chat.readTimer);
  }

  $("[data-convert]").addEventListener("click", () => {
    const chat = selectedChat();
    if (!chat || !window.confirm(t("confirm-convert"))) return;
    ending(chat);
    socket.send({ type: "convert", conversation: chat.id });
  });

  $("[data-close]").addEventListener("click", () => {
    const chat = selectedChat();
    if (!chat || !window.confirm(t("confirm-close"))) return;
    ending(chat);
    socket.send({ type: "close", conversation: chat.id });
  });

  $("[data-takeover]").addEventListener("click", () => {
    const chat = selectedChat();
    if (chat) socket.send({ type: "transfer", conversation: chat.id, to_agent: config.me });
  });

  // Offers ---------------------------------------------------------------------------------

  function actionButton(label, className, onClick, key = null) {
    const button = el("button", className, label);
    button.type = "button";
    if (key) button.dataset.key = key;
    button.addEventListener("click", onClick);
    return button;
  }

  const accept = (id) => socket.send({ type: "accept", conversation: id });
  const decline = (id) => {
    socket.send({ type: "decline", conversation: id });
    removeOffer(id);
  };

  function addOffer(frame) {
    removeOffer(frame.conversation);
    const node = el("li", "chat-offer");
    if (frame.vip) node.classList.add("chat-offer--vip");
    const body = t("offer-body", { customer: frame.customer, category: categoryLabel(frame.category), language: languageLabel(frame.language) });
    const title = el("p", "chat-offer__title");
    title.append(el("strong", "", frame.customer));
    if (frame.vip) title.append(" ", el("span", "badge", t("vip")));
    const detail = el("p", "chat-muted", `${categoryLabel(frame.category)} · ${languageLabel(frame.language)}`);
    const countdown = el("p", "chat-offer__countdown");
    node.append(
      title, detail, countdown,
      actionButton(t("accept"), "", () => accept(frame.conversation)),
      " ",
      actionButton(t("decline"), "chat-secondary", () => decline(frame.conversation)),
    );
    const offer = { frame, node, countdown, expiresAt: Date.now() + (frame.expires_in || 30) * 1000 };
    offers.set(frame.conversation, offer);
    $("[data-offers]").append(node);
    $("[data-offers-section]").hidden = false;
    tickOffer(offer);
    chime();
    desktopNotice(t("offer-title"), body, `chat-offer-${frame.conversation}`);
    updateTitle();
  }

  function removeOffer(id) {
    const offer = offers.get(id);
    if (!offer) return;
    offer.node.remove();
    offers.delete(id);
    $("[data-offers-section]").hidden = offers.size === 0;
    updateTitle();
  }

  function tickOffer(offer) {
    const left = Math.round((offer.expiresAt - Date.now()) / 1000);
    // Past its time the server routes it on; the queue still lists it if nobody took it.
    if (left < -5) removeOffer(offer.frame.conversation);
    else offer.countdown.textContent = t("offer-expires", { seconds: Math.max(0, left) });
  }

  // Queue ----------------------------------------------------------------------------------

  function renderQueue(entries) {
    queue = entries;
    queueAt = Date.now();
    if (entries.length) {
      const first = entries[0];
      clockOffset = Date.parse(first.queued_at) + first.waited_seconds * 1000 - queueAt;
    }
    redraw(
      $("[data-queue]"),
      entries.map((entry) => {
        const row = el("tr", "chat-queue-row");
        row.dataset.conversation = entry.conversation;
        const offeredToMe = entry.offered_to === config.me;
        row.classList.toggle("chat-queue-row--vip", entry.vip);
        row.classList.toggle("chat-queue-row--offered", offeredToMe);
        const who = el("td");
        who.append(el("span", "chat-queue-row__name", entry.customer));
        if (entry.vip) who.append(" ", el("span", "badge", t("vip")));
        const info = [categoryLabel(entry.category), languageLabel(entry.language)];
        if (entry.offered_to) info.push(offeredToMe ? t("offered-you") : t("offered-other"));
        who.append(el("br"), el("small", "", info.join(" · ")));
        const waited = el("td", "chat-clock");
        waited.dataset.waited = entry.waited_seconds;
        const sla = el("td", "chat-clock");
        if (entry.sla_due_at) sla.dataset.due = Date.parse(entry.sla_due_at);
        else sla.textContent = t("no-sla");
        const actions = el("td", "chat-queue-row__actions");
        actions.append(actionButton(t("accept"), "", () => accept(entry.conversation), `accept:${entry.conversation}`));
        if (offeredToMe) {
          actions.append(" ", actionButton(t("decline"), "chat-secondary", () => decline(entry.conversation), `decline:${entry.conversation}`));
        }
        row.append(who, waited, sla, actions);
        return row;
      }),
    );
    $("[data-queue-empty]").hidden = entries.length > 0;
    $("[data-queue-count]").textContent = entries.length ? `(${entries.length})` : "";
    tick();
  }

  function tick() {
    const now = Date.now();
    for (const cell of root.querySelectorAll("[data-waited]")) {
      cell.textContent = duration(Number(cell.dataset.waited) + (now - queueAt) / 1000);
    }
    for (const cell of root.querySelectorAll("[data-due]")) {
      const left = (Number(cell.dataset.due) - (now + clockOffset)) / 1000;
      const overdue = left < 0;
      cell.classList.toggle("chat-clock--overdue", overdue);
      cell.textContent = overdue ? t("overdue", { time: duration(-left) }) : t("due-in", { time: duration(left) });
    }
    for (const offer of [...offers.values()]) tickOffer(offer);
  }
  setInterval(tick, 1000);

  // Supervisors: every live chat -----------------------------------------------------------

  function renderLive() {
    if (!supervisor) return;
    const body = $("[data-live]");
    if (!live.length) {
      const row = el("tr");
      const cell = el("td", "chat-muted", t("no-live"));
      cell.colSpan = 3;
      row.append(cell);
      body.replaceChildren(row);
      return;
    }
    redraw(
      body,
      live.map((entry) => {
        const row = el("tr");
        const what = el("td");
        what.append(el("code", "", entry.conversation));
        if (entry.vip) what.append(" ", el("span", "badge", t("vip")));
        what.append(el("br"), el("small", "", `${t(`status-${entry.status}`)} · ${languageLabel(entry.language)}`));
        const agent = el("td", "", entry.agent || "—");
        const actions = el("td", "chat-queue-row__actions");
        actions.append(
          actionButton(t("watch"), "chat-secondary", () => {
            wantSelected = entry.conversation;
            const existing = chats.get(entry.conversation);
            if (existing) select(existing.id);
            socket.send({ type: "watch", conversation: entry.conversation });
          }, `watch:${entry.conversation}`),
          " ",
          actionButton(t("take-over"), "", () => {
            wantSelected = entry.conversation;
            socket.send({ type: "transfer", conversation: entry.conversation, to_agent: config.me });
          }, `takeover:${entry.conversation}`),
        );
        row.append(what, agent, actions);
        return row;
      }),
    );
  }
  // The live list comes with the hello: a fresh socket brings a fresh list.
  $("[data-live-refresh]").addEventListener("click", () => socket.restart());

  socket.connect();
}
