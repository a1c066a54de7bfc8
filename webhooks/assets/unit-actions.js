// The unit page's write actions: POST to the JSON API with the token the person typed,
// then follow the unit's history until the entry the action wrote ends. The token stays
// in the input field: it is neither stored nor sent anywhere but this server's API.
(function () {
  "use strict";
  const form = document.getElementById("unit-actions");
  if (!form) return;
  const result = document.getElementById("action-result");
  const FOLLOW_MS = 1000;
  const FOLLOW_FOR = 900; // polls: a quarter of an hour

  function say(text, kind, status) {
    result.textContent = text;
    result.className = kind;
    result.dataset.status = status || "";
  }

  function token() {
    const value = document.getElementById("action-token").value.trim();
    return value ? { Authorization: "Bearer " + value } : {};
  }

  async function history() {
    const answer = await fetch(form.dataset.history, { headers: token() });
    if (!answer.ok) return [];
    return (await answer.json()).deployments;
  }

  async function follow(id) {
    for (let i = 0; i < FOLLOW_FOR; i++) {
      await new Promise((done) => setTimeout(done, FOLLOW_MS));
      const entry = (await history()).find((d) => d.id === id);
      if (!entry) continue;
      const ended = entry.finished_at !== null;
      const kind = !ended ? "run" : entry.status === "FAILED" ? "bad" : "ok";
      say("deployment #" + id + " " + entry.status + ": " + entry.message, kind, entry.status);
      if (ended) return;
    }
  }

  async function act(action) {
    const body = {};
    if (action === "continue-update-rollback") {
      const skip = document.getElementById("action-skip").value.split(/[\s,]+/).filter(Boolean);
      if (skip.length) body.skip = skip;
    }
    say(action + ": sending…", "muted", "");
    let answer;
    try {
      answer = await fetch(form.dataset.api + "/" + action, {
        method: "POST",
        headers: Object.assign({ "Content-Type": "application/json" }, token()),
        body: JSON.stringify(body),
      });
    } catch (failure) {
      say(action + " failed: " + failure, "bad", "error");
      return;
    }
    const doc = await answer.json().catch(() => ({}));
    if (!answer.ok) {
      const why = (doc.error || "error") + ": " + (doc.message || answer.statusText);
      say(action + " refused (" + answer.status + " " + why + ")", "bad", "refused");
      return;
    }
    say(action + " accepted: " + doc.message, "run", "accepted");
    if (doc.deployment) await follow(doc.deployment.id);
  }

  for (const button of form.querySelectorAll("button[data-action]")) {
    button.addEventListener("click", () => act(button.dataset.action));
  }
})();
