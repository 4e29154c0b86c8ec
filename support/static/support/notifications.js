// Live unread-notification count over the notifications websocket; reconnects with backoff.
const badge = document.querySelector("[data-notifications-url]");
if (badge) {
  const counter = badge.querySelector("[data-unread]");
  let delay = 1000;
  const connect = () => {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}${badge.dataset.notificationsUrl}`);
    socket.addEventListener("open", () => { delay = 1000; });
    socket.addEventListener("message", (event) => {
      const frame = JSON.parse(event.data);
      if (frame.type === "hello" || frame.type === "read") counter.textContent = frame.unread;
      if (frame.type === "notification") counter.textContent = Number(counter.textContent) + 1;
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401) return; // logged out: do not retry
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };
  connect();
}
