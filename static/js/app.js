// Progressive enhancement only: every form here works without this file.
"use strict";

function updateVoteForm(form, voted, votes) {
  const button = form.querySelector("button");
  form.querySelector("input[name=vote]").value = voted ? "0" : "1";
  form.querySelector("[data-vote-count]").textContent = votes;
  form.querySelector(".vote-label").textContent = voted ? "Voted" : "Vote";
  button.classList.toggle("voted", voted);
  button.setAttribute("aria-pressed", voted ? "true" : "false");
}

document.addEventListener("submit", async (event) => {
  const form = event.target.closest("[data-vote-form]");
  if (!form) return;
  event.preventDefault();
  const button = form.querySelector("button");
  // One request at a time. Not `disabled`: that would drop keyboard focus to the page's top.
  if (button.getAttribute("aria-disabled") === "true") return;
  button.setAttribute("aria-disabled", "true");
  try {
    const response = await fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (response.status === 401) {
      const back = encodeURIComponent(window.location.pathname + window.location.search);
      window.location.href = "/login?next=" + back;
      return;
    }
    if (!response.ok) throw new Error("vote failed: " + response.status);
    const data = await response.json();
    updateVoteForm(form, data.voted, data.votes);
  } catch (error) {
    // Fall back to the plain form post, which shows the server's own message.
    form.submit();
  } finally {
    button.removeAttribute("aria-disabled");
  }
});

// A form sent back with errors: bring its first error into view and put the cursor in that
// field, even on a phone where the form sits far down the page. (Without this file, the
// server marks the same field `autofocus`.)
function showFirstError() {
  const field = document.querySelector(".field-error");
  if (!field) return;
  const input = field.querySelector("[aria-invalid=true]") || field.querySelector("input, textarea, select");
  const error = field.querySelector(".error") || field;
  // The whole field when it fits on the screen, else at least its message.
  const fits = field.getBoundingClientRect().height <= window.innerHeight * 0.8;
  (fits ? field : error).scrollIntoView({ block: fits ? "center" : "end" });
  if (input) input.focus({ preventScroll: true });
}

showFirstError();
