// Ideas like the one being posted, shown right under the new-idea form's title while it is
// typed (web/search.py answers /ideas/similar with JSON). Progressive enhancement: without
// this file the form's preview lists the same ideas, with plain vote forms. Here the list sits
// inside the idea's form, where forms cannot nest: its vote buttons post with fetch, with the
// page's CSRF token, as app.js does for the listing's.
"use strict";

(function () {
  const section = document.getElementById("similar-live");
  const title = document.getElementById("title");
  if (!section || !title) return;
  const list = section.querySelector("[data-similar-list]");
  const status = document.querySelector("[data-similar-status]");
  const tokenInput = document.querySelector("input[name=csrf_token]");
  const url = section.dataset.similarUrl;
  // Wait for a pause in typing before asking, and only ever show the latest answer.
  const PAUSE_MS = 350;
  let timer = null;
  let asked = title.value.trim();
  let pending = null;

  function element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function hidden(text) {
    return element("span", "visually-hidden", text);
  }

  function voteControl(idea) {
    if (!idea.open) {
      const box = element("div", "vote");
      const shown = element("p", "vote-button vote-closed" + (idea.voted ? " voted-closed" : ""));
      const arrow = element("span", "vote-arrow", "▲");
      arrow.setAttribute("aria-hidden", "true");
      shown.append(arrow, element("span", "vote-count", String(idea.votes)));
      shown.append(element("span", "vote-label", "Voting closed"));
      shown.append(hidden("for: " + idea.title + (idea.voted ? " (you voted)" : "")));
      box.append(shown);
      return box;
    }
    // The listing's vote button (templates/_macros.html), as a button of its own.
    const box = element("div", "vote");
    const button = element("button", "vote-button");
    button.type = "button";
    const arrow = element("span", "vote-arrow", "▲");
    arrow.setAttribute("aria-hidden", "true");
    const count = element("span", "vote-count");
    count.setAttribute("data-vote-count", "");
    const label = element("span", "vote-label");
    button.append(arrow, count, label, hidden("for: " + idea.title));
    let voted = idea.voted;
    function render(votes) {
      count.textContent = String(votes);
      label.textContent = voted ? "Voted" : "Vote";
      button.classList.toggle("voted", voted);
      button.setAttribute("aria-pressed", voted ? "true" : "false");
    }
    render(idea.votes);
    button.addEventListener("click", async () => {
      if (button.getAttribute("aria-disabled") === "true") return;
      button.setAttribute("aria-disabled", "true");
      const body = new FormData();
      body.append("csrf_token", tokenInput ? tokenInput.value : "");
      body.append("vote", voted ? "0" : "1");
      try {
        const response = await fetch(idea.vote_url, {
          method: "POST",
          body: body,
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        });
        const data = await response.json();
        if (!response.ok) throw new Error(data.message || "vote failed");
        voted = data.voted;
        render(data.votes);
      } catch (error) {
        if (status) status.textContent = "That vote did not go through: open the idea to vote.";
      } finally {
        button.removeAttribute("aria-disabled");
      }
    });
    box.append(button);
    return box;
  }

  function item(idea, duplicate) {
    const li = element("li", "similar-item");
    const text = element("div");
    const link = element("a", "similar-title", idea.title);
    link.href = idea.url;
    const meta = element("p", "meta");
    const badge = element("span", "badge status-" + idea.status.replace(/_/g, "-"), idea.status_label);
    meta.append(badge);
    if (duplicate) {
      meta.append(" ", element("strong", "", "Same title"));
    }
    text.append(link, meta);
    li.append(voteControl(idea), text);
    return li;
  }

  function show(ideas, duplicate) {
    list.replaceChildren(...ideas.map((idea) => item(idea, duplicate && idea.id === duplicate.id)));
    section.hidden = ideas.length === 0;
    // The preview's list (for the title as it was sent) gives way to this one.
    const previewed = document.getElementById("similar");
    if (previewed) previewed.hidden = true;
    if (status) {
      status.textContent = ideas.length
        ? ideas.length + (ideas.length === 1 ? " idea looks" : " ideas look") + " like yours, under the title."
        : "";
    }
  }

  async function lookUp() {
    const text = title.value.trim();
    if (text === asked) return;
    asked = text;
    if (pending) pending.abort();
    if (text.length < 3) {
      show([], null);
      return;
    }
    pending = new AbortController();
    try {
      const response = await fetch(url + "?title=" + encodeURIComponent(text), {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        signal: pending.signal,
      });
      if (!response.ok) return;
      const data = await response.json();
      if (text === asked) show(data.ideas, data.duplicate);
    } catch (error) {
      // Cancelled by newer typing, or offline: keep what is shown.
    }
  }

  title.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(lookUp, PAUSE_MS);
  });
})();
