// Shared by the customer widget and the agent console (docs/chat-protocol.md): the socket that
// reconnects with backoff, the numbered thread that deduplicates and fills gaps by `seq`, and the
// outbox that resends every message until the server acks its client_id.

const FATAL_CLOSE_CODES = new Set([4401, 4403, 4404]); // logged out, not an agent, no such chat: do not retry
const GAP_CHECK_MS = 1200; // a frame reordered in flight usually lands within this

// Translated strings live on an element as data-t-* attributes (rendered with {% translate %}).
export function strings(element) {
  const table = {};
  for (const { name, value } of element.attributes) {
    if (name.startsWith("data-t-")) table[name.slice(7)] = value;
  }
  return (key, vars = {}) =>
    (table[key] ?? key).replace(/\{(\w+)\}/g, (whole, name) => (name in vars ? String(vars[name]) : whole));
}

export function csrfToken() {
  const cookie = document.cookie.split(";").map((c) => c.trim()).find((c) => c.startsWith("csrftoken="));
  if (cookie) return decodeURIComponent(cookie.slice("csrftoken=".length));
  return document.querySelector("input[name=csrfmiddlewaretoken]")?.value ?? "";
}

export function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Plain-http origins lack randomUUID: build a v4 UUID from getRandomValues.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export async function postForm(url, data) {
  const response = await fetch(url, {
    method: "POST",
    body: data,
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
  });
  let payload = {};
  try {
    payload = await response.json();
  } catch {
    payload = {};
  }
  return { ok: response.ok, status: response.status, payload };
}

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

export function timeFormatter(lang, timeZone) {
  try {
    return new Intl.DateTimeFormat(lang || undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: timeZone || undefined });
  } catch {
    return new Intl.DateTimeFormat(lang || undefined, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" });
  }
}

export function duration(seconds) {
  const s = Math.max(0, Math.floor(Math.abs(seconds)));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, "0");
  return h ? `${h}:${String(m).padStart(2, "0")}:${rest}` : `${m}:${rest}`;
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}
export { el };

/** One websocket that reconnects with exponential backoff and jitter, pings, and notices a dead link. */
export class ChatSocket {
  constructor(path, { onOpen, onFrame, onState, pingSeconds = 25 }) {
    this.path = path;
    this.onOpen = onOpen;
    this.onFrame = onFrame;
    this.onState = onState || (() => {});
    this.pingMs = pingSeconds * 1000;
    this.attempt = 0;
    this.stopped = false;
    this.ws = null;
    this.retryTimer = null;
    window.addEventListener("online", () => this.reconnectNow());
  }

  connect() {
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const ws = new WebSocket(`${scheme}://${location.host}${this.path}`);
    this.ws = ws;
    this.onState(this.attempt ? "reconnecting" : "connecting");
    ws.addEventListener("open", () => {
      this.attempt = 0;
      this.lastFrameAt = Date.now();
      this.onState("open");
      this.onOpen?.();
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.heartbeat(), this.pingMs);
    });
    ws.addEventListener("message", (event) => {
      this.lastFrameAt = Date.now();
      let frame;
      try {
        frame = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onFrame(frame);
    });
    ws.addEventListener("close", (event) => {
      if (ws !== this.ws) return;
      clearInterval(this.pingTimer);
      this.ws = null;
      if (FATAL_CLOSE_CODES.has(event.code)) {
        this.stopped = true;
        this.onState("closed", event.code);
        return;
      }
      if (this.stopped) return;
      const delay = Math.min(30000, 1000 * 2 ** this.attempt) * (0.5 + Math.random() / 2);
      this.attempt += 1;
      this.onState("reconnecting");
      this.retryTimer = setTimeout(() => this.connect(), delay);
    });
  }

  heartbeat() {
    // No frame (not even a pong) for two intervals: the link is dead even if the browser has not noticed.
    if (Date.now() - this.lastFrameAt > this.pingMs * 2 + 5000) {
      this.ws?.close();
      return;
    }
    this.send({ type: "ping" });
  }

  reconnectNow() {
    if (this.stopped || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    this.attempt = 0;
    this.connect();
  }

  /** Reopen the socket on purpose (a fresh hello). */
  restart() {
    const old = this.ws;
    this.ws = null;
    old?.close();
    this.attempt = 0;
    this.connect();
  }

  get open() {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  send(frame) {
    if (!this.open) return false;
    this.ws.send(JSON.stringify(frame));
    return true;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.pingTimer);
    this.ws?.close(1000);
  }
}

/**
 * The messages of one conversation, in `seq` order, each shown once.
 * `lastSeq` is the highest seq up to which nothing is missing; a message beyond lastSeq + 1 or an
 * empty stretch after a reconnect is filled by `requestResume(after)`.
 */
export class Thread {
  constructor({ t, formatTime, outgoingKind, requestResume, staff = false, storageKey = null }) {
    this.t = t;
    this.formatTime = formatTime;
    this.outgoingKind = outgoingKind;
    this.requestResume = requestResume;
    this.staff = staff;
    this.storageKey = storageKey;
    this.list = el("ol", "chat-thread");
    this.list.setAttribute("role", "log");
    this.list.setAttribute("aria-live", "polite");
    this.list.setAttribute("aria-relevant", "additions");
    this.bySeq = new Map();
    this.byClientId = new Map();
    this.pending = new Map(); // client_id -> frame to resend until acked
    this.lastSeq = 0;
    this.readBy = 0; // the other side has read up to here
    this.resumeOutstanding = false;
    this.gapTimer = null;
    this.restorePending();
  }

  /** Run `change`; if the reader was at the bottom of the scrolling host (or `force`), keep them there. */
  keepScrolled(change, force = false) {
    const host = this.list.parentElement;
    const atBottom = !host || host.scrollHeight - host.scrollTop - host.clientHeight < 48;
    const result = change();
    if (host && (atBottom || force)) host.scrollTop = host.scrollHeight;
    return result;
  }

  get maxSeq() {
    let max = this.lastSeq;
    for (const seq of this.bySeq.keys()) max = Math.max(max, seq);
    return max;
  }

  advance() {
    while (this.bySeq.has(this.lastSeq + 1)) this.lastSeq += 1;
  }

  /** A `message` frame (live or from history). Returns true when it was new. */
  add(frame) {
    return this.keepScrolled(() => this.addMessage(frame));
  }

  addMessage(frame) {
    const known = this.bySeq.get(frame.seq);
    if (known) {
      // Shown already, perhaps only from our own copy and its ack: take the server's time and file links.
      if (!known.dataset.server) {
        this.fill(known, frame);
        known.dataset.server = "1";
      }
      return false;
    }
    let node = frame.client_id ? this.byClientId.get(frame.client_id) : null;
    if (node && node.dataset.seq && Number(node.dataset.seq) !== frame.seq) node = null;
    if (node) {
      this.fill(node, frame);
    } else {
      node = this.render(frame);
      if (frame.client_id) this.byClientId.set(frame.client_id, node);
    }
    node.dataset.seq = frame.seq;
    node.dataset.server = "1";
    this.bySeq.set(frame.seq, node);
    if (frame.client_id && this.pending.delete(frame.client_id)) this.savePending();
    this.place(node, frame.seq);
    this.markState(node);
    this.advance();
    this.checkGap();
    return true;
  }

  /** A `history` frame: everything after the requested seq that the server had. */
  history(frame) {
    this.resumeOutstanding = false;
    this.list.setAttribute("aria-busy", "true");
    let highest = this.lastSeq;
    const first = this.lastSeq === 0; // the whole conversation: open it at the latest message
    for (const message of frame.messages) {
      this.keepScrolled(() => this.addMessage(message), first);
      highest = Math.max(highest, message.seq);
    }
    this.list.removeAttribute("aria-busy");
    // Numbers the history skipped are not ours to see (staff notes): nothing is missing up to `highest`.
    this.lastSeq = Math.max(this.lastSeq, highest);
    this.advance();
    if (frame.more) this.resume();
    else this.checkGap();
  }

  resume() {
    if (this.resumeOutstanding) return;
    this.resumeOutstanding = this.requestResume(this.lastSeq);
  }

  /** After a reconnect: ask for whatever was missed, whether or not a gap is visible. */
  reconnected() {
    this.resumeOutstanding = false;
    this.resume();
  }

  checkGap() {
    clearTimeout(this.gapTimer);
    if (this.maxSeq <= this.lastSeq) return;
    this.gapTimer = setTimeout(() => {
      if (this.maxSeq > this.lastSeq) this.resume();
    }, GAP_CHECK_MS);
  }

  /** Show an outgoing message at once; `frame` is resent until acked (null: already acked over HTTP). */
  addOutgoing(clientId, body, { frame = null, files = [], internal = false } = {}) {
    const node = this.render({
      kind: internal ? "note" : this.outgoingKind,
      author: this.t("you"),
      body,
      created_at: new Date().toISOString(),
      attachments: [],
      client_id: clientId,
    });
    node.classList.add("chat-msg--pending");
    if (files.length) {
      const list = el("ul", "chat-msg__files");
      for (const file of files) list.append(el("li", "", `${file.name} (${fileSize(file.size)})`));
      node.append(list);
    }
    this.byClientId.set(clientId, node);
    if (frame) {
      this.pending.set(clientId, frame);
      this.savePending();
    }
    this.keepScrolled(() => this.list.append(node), true);
    this.markState(node);
    return node;
  }

  ack(frame) {
    const node = this.byClientId.get(frame.client_id);
    if (this.pending.delete(frame.client_id)) this.savePending();
    if (!node || this.bySeq.has(frame.seq)) return;
    // The server sends no `message` frame back to the socket that sent it: the ack carries its time, and
    // its text when the server changed it (the secret shield).
    if (typeof frame.body === "string") node.querySelector(".chat-msg__body").textContent = frame.body;
    const time = frame.created_at ? node.querySelector(".chat-msg__meta time") : null;
    if (time) {
      time.textContent = this.formatTime.format(new Date(frame.created_at));
      time.dateTime = frame.created_at;
    }
    node.dataset.seq = frame.seq;
    node.classList.remove("chat-msg--pending");
    this.bySeq.set(frame.seq, node);
    this.place(node, frame.seq);
    this.markState(node);
    this.advance();
    this.checkGap();
  }

  /** The server refused a message for good (too long, chat ended): stop resending and say why. */
  fail(clientId, reason) {
    const node = this.byClientId.get(clientId);
    if (this.pending.delete(clientId)) this.savePending();
    if (!node) return;
    node.classList.remove("chat-msg--pending");
    node.classList.add("chat-msg--failed");
    const state = node.querySelector(".chat-msg__state");
    if (state) state.textContent = `${this.t("failed")}: ${reason}`;
  }

  resendAll(send) {
    for (const frame of this.pending.values()) send(frame);
  }

  read(seq) {
    if (seq <= this.readBy) return;
    this.readBy = seq;
    for (const node of this.list.querySelectorAll(".chat-msg--out")) this.markState(node);
  }

  markState(node) {
    const state = node.querySelector(".chat-msg__state");
    if (!state || node.classList.contains("chat-msg--failed")) return;
    const seq = Number(node.dataset.seq || 0);
    if (!seq) state.textContent = this.t("sending");
    else if (seq <= this.readBy) state.textContent = this.t("read");
    else state.textContent = this.t("sent");
    node.classList.toggle("chat-msg--read", !!seq && seq <= this.readBy);
    if (seq) node.classList.remove("chat-msg--pending");
  }

  place(node, seq) {
    // Before the first shown message with a higher seq, else after the last numbered one.
    for (const other of this.list.children) {
      if (other === node) continue;
      const otherSeq = Number(other.dataset.seq || 0);
      if (!otherSeq || otherSeq > seq) {
        if (node.nextSibling !== other) this.list.insertBefore(node, other);
        return;
      }
    }
    this.list.append(node);
  }

  render(frame) {
    const node = el("li", `chat-msg chat-msg--${frame.kind}`);
    const outgoing = frame.kind === this.outgoingKind;
    if (outgoing) node.classList.add("chat-msg--out");
    const meta = el("div", "chat-msg__meta");
    node.append(meta, el("div", "chat-msg__body"));
    if (outgoing) node.append(el("div", "chat-msg__state"));
    this.fill(node, frame);
    return node;
  }

  fill(node, frame) {
    const meta = node.querySelector(".chat-msg__meta");
    meta.replaceChildren();
    if (frame.kind === "note") meta.append(el("span", "chat-msg__label", this.t("note")), " ");
    // The customer's own messages say "You" in the page's language (the server's label is English).
    const author = !this.staff && frame.kind === this.outgoingKind ? this.t("you") : frame.author;
    if (frame.kind !== "system") meta.append(el("span", "chat-msg__author", author), " ");
    const time = el("time", "", this.formatTime.format(new Date(frame.created_at)));
    time.dateTime = frame.created_at;
    meta.append(time);
    node.querySelector(".chat-msg__body").textContent = frame.body;
    node.querySelector(".chat-msg__files")?.remove();
    if (frame.attachments?.length) {
      const list = el("ul", "chat-msg__files");
      for (const a of frame.attachments) {
        const item = el("li");
        const link = el("a", "", a.filename);
        link.href = a.url;
        link.target = "_blank";
        link.rel = "noopener";
        item.append(link, ` (${fileSize(a.size)})`);
        list.append(item);
      }
      node.querySelector(".chat-msg__body").after(list);
    }
  }

  // Unacked messages survive a page change (the widget): they are resent with the same client_id.
  savePending() {
    if (!this.storageKey) return;
    try {
      const items = [...this.pending.values()];
      if (items.length) sessionStorage.setItem(this.storageKey, JSON.stringify(items));
      else sessionStorage.removeItem(this.storageKey);
    } catch {
      /* storage full or disabled: resending still works within this page */
    }
  }

  restorePending() {
    if (!this.storageKey) return;
    let items = [];
    try {
      items = JSON.parse(sessionStorage.getItem(this.storageKey) || "[]");
    } catch {
      items = [];
    }
    for (const frame of items) {
      if (frame && frame.client_id && typeof frame.body === "string") this.addOutgoing(frame.client_id, frame.body, { frame });
    }
  }
}

/** Tell the other side "typing" at most every few seconds while keys are pressed, and "stopped" after a pause. */
export class TypingSignal {
  constructor(send) {
    this.send = send;
    this.active = false;
    this.sentAt = 0;
    this.idleTimer = null;
  }

  input() {
    const now = Date.now();
    if (!this.active || now - this.sentAt > 4000) {
      if (this.send(true)) {
        this.active = true;
        this.sentAt = now;
      }
    }
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.stop(), 3000);
  }

  stop() {
    clearTimeout(this.idleTimer);
    if (!this.active) return;
    this.active = false;
    this.send(false);
  }
}
