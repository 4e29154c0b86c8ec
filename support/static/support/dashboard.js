// The SLA dashboard's at-risk list, live: re-read every 15 s (the enforcement scan's interval).
const box = document.getElementById("at-risk");
const body = box?.querySelector("[data-rows]");

const cell = (text, href) => {
  const td = document.createElement("td");
  if (href) {
    const a = document.createElement("a");
    a.href = href;
    a.textContent = text;
    td.append(a);
  } else {
    td.textContent = text;
  }
  return td;
};

const row = (c) => {
  const tr = document.createElement("tr");
  const left = `${Math.floor(c.seconds_left / 60)}:${String(c.seconds_left % 60).padStart(2, "0")}`;
  tr.append(cell(c.label, c.url), cell(c.channel), cell(c.metric), cell(c.due_at.slice(0, 16).replace("T", " ")), cell(left), cell(c.assignee || "—"));
  return tr;
};

const emptyRow = () => {
  const tr = document.createElement("tr");
  tr.className = "empty";
  const td = cell(box.dataset.tEmpty);
  td.colSpan = 6;
  tr.append(td);
  return tr;
};

async function refresh() {
  try {
    const reply = await fetch(box.dataset.atRiskUrl, { headers: { Accept: "application/json" } });
    if (!reply.ok) return;
    const data = await reply.json();
    body.replaceChildren(...(data.cases.length ? data.cases.map(row) : [emptyRow()]));
  } catch (error) {
    /* the next tick tries again */
  }
}

if (box && body) setInterval(refresh, 15000);
