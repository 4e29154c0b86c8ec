// Live unread-notification count over the notifications websocket; reconnects with backoff.
// On the notifications page, new ones are also added to the top of the list as they arrive.
const badge = document.querySelector("[data-notifications-url]");
const list = document.querySelector("[data-notification-list]");

function prepend(notification) {
  if (!list) return;
  list.querySelector(".empty")?.remove();
  const item = document.createElement("li");
  item.className = "unread";
  item.dataset.kind = notification.kind;
  const time = document.createElement("time");
  time.dateTime = notification.created_at;
  time.textContent = notification.created_at.slice(0, 16).replace("T", " ");
  item.append(time, " ");
  if (notification.url) {
    const link = document.createElement("a");
    link.href = notification.url;  // the page's own form marks it read when opened from a reload
    link.textContent = notification.message;
    item.append(link);
  } else {
    item.append(notification.message);
  }
  list.prepend(item);
}

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
      if (frame.type === "notification") {
        counter.textContent = Number(counter.textContent) + 1;
        prepend(frame.notification);
      }
    });
    socket.addEventListener("close", (event) => {
      if (event.code === 4401) return; // logged out: do not retry
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 30000);
    });
  };
  connect();
}
