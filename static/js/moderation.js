// Progressive enhancement only: a "Flag" link opens the flag form in place instead of on a
// page of its own. Without this file the link leads to that page, which works the same.
"use strict";

function closeInlineFlag() {
  const open = document.querySelector("[data-inline-flag]");
  if (!open) return;
  const link = document.querySelector("a[data-flag-link][aria-expanded=true]");
  open.remove();
  if (link) {
    link.setAttribute("aria-expanded", "false");
    link.focus();
  }
}

async function openInlineFlag(link) {
  const response = await fetch(link.href, { credentials: "same-origin" });
  if (!response.ok) throw new Error("flag form: " + response.status);
  const page = new DOMParser().parseFromString(await response.text(), "text/html");
  // The form, or the reason there is none (one's own words, already flagged...).
  const part = page.querySelector(".flag-form") || page.querySelector(".flag-refusal");
  if (!part) throw new Error("flag form: nothing to show");
  const box = document.createElement("div");
  box.className = "inline-flag";
  box.setAttribute("data-inline-flag", "");
  box.setAttribute("role", "group");
  box.setAttribute("aria-label", link.textContent.trim());
  const adopted = document.importNode(part, true);
  if (adopted.tagName === "FORM") adopted.action = link.href;
  box.append(adopted);
  const cancel = box.querySelector(".actions a");
  if (cancel) {
    cancel.addEventListener("click", (event) => {
      event.preventDefault();
      closeInlineFlag();
    });
  }
  // Below the comment's actions, or below the idea's meta line.
  (link.closest(".comment-actions, .meta") || link.parentElement).after(box);
  link.setAttribute("aria-expanded", "true");
  const first = box.querySelector("input[type=radio], textarea, a");
  if (first) first.focus();
}

document.addEventListener("click", async (event) => {
  const link = event.target.closest("a[data-flag-link]");
  if (!link || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  event.preventDefault();
  const wasOpen = link.getAttribute("aria-expanded") === "true";
  closeInlineFlag();
  if (wasOpen) return;
  try {
    await openInlineFlag(link);
  } catch (error) {
    // Fall back to the page with the same form.
    window.location.href = link.href;
  }
});

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") closeInlineFlag();
});
