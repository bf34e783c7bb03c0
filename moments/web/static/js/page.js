/* The page around the widget: language picker, larger text, the mock Singpass login.

   Storage:
   - localStorage  moments.prefs.v1     {lang, largeText}
   - localStorage  moments.chat.v1      the conversation (chat.js)
   - sessionStorage moments.identity.v1 {token, expiresAt, person: {id, name}, expired} — this tab only, so
     closing the browser logs out; a conversation that belonged to a logged-in person is then not shown to
     the next person who opens the page on this computer.
*/
"use strict";

(function () {
  const TEXTS = window.MOMENTS_TEXTS;
  const LANGS = ["en", "zh", "ms", "ta"];
  const PREFS_KEY = "moments.prefs.v1";
  const IDENTITY_KEY = "moments.identity.v1";
  const $ = (id) => document.getElementById(id);

  function readJson(storage, key) {
    try { return JSON.parse(storage.getItem(key)) || null; } catch (e) { return null; }
  }
  function writeJson(storage, key, value) {
    try {
      if (value === null) storage.removeItem(key);
      else storage.setItem(key, JSON.stringify(value));
    } catch (e) { /* private mode: works for this page view only */ }
  }

  function initialLanguage(prefs) {
    const fromUrl = new URLSearchParams(window.location.search).get("lang");
    if (LANGS.includes(fromUrl)) return fromUrl;
    if (prefs && LANGS.includes(prefs.lang)) return prefs.lang;
    for (const l of navigator.languages || []) {
      const base = String(l).slice(0, 2).toLowerCase();
      if (LANGS.includes(base)) return base;
    }
    return "en";
  }

  const prefs = Object.assign({ lang: "en", largeText: false }, readJson(window.localStorage, PREFS_KEY));
  prefs.lang = initialLanguage(prefs);
  let identity = readJson(window.sessionStorage, IDENTITY_KEY);
  let expiryTimer = null;
  let chat = null;

  function t(key, vars) {
    let text = (TEXTS[prefs.lang] && TEXTS[prefs.lang][key]) || TEXTS.en[key] || key;
    for (const [k, v] of Object.entries(vars || {})) text = text.split("{" + k + "}").join(String(v));
    return text;
  }

  function savePrefs() {
    writeJson(window.localStorage, PREFS_KEY, { lang: prefs.lang, largeText: prefs.largeText });
  }

  // ----- texts and language
  let loginMessageKey = null;

  function applyTexts() {
    document.documentElement.lang = prefs.lang;
    document.title = t("page_title");
    for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
    for (const b of document.querySelectorAll(".lang-button")) {
      b.setAttribute("aria-pressed", String(b.dataset.lang === prefs.lang));
    }
    showLoginMessage(loginMessageKey, $("login-message").dataset.kind);
    if (chat) chat.relabel();
  }

  function setLanguage(lang) {
    if (!LANGS.includes(lang) || lang === prefs.lang) return;
    prefs.lang = lang;
    savePrefs();
    if (chat) chat.changeLanguage(lang); // first: the old language's suggested replies are retired, not redrawn
    applyTexts();
  }

  function setLargeText(on) {
    prefs.largeText = on;
    document.documentElement.classList.toggle("large-text", on);
    $("large-text").setAttribute("aria-pressed", String(on));
    savePrefs();
    if (chat) chat.showLatest(); // bigger text moves everything: the latest message stays in view
  }

  /** "[Go to the login](#login)" in a bot message: the login box into view, the focus on its first control
   *  (or on "Log out" when already logged in). */
  function focusLogin() {
    const loggedIn = Boolean(identity && !identity.expired);
    $("login-heading").closest("section").scrollIntoView({ block: "start" });
    (loggedIn ? $("logout-button") : $("person-select")).focus({ preventScroll: true });
  }

  /** The visible "Go to the chat" link near the top (phones): the message box and the latest messages in view. */
  function jumpToChat(ev) {
    ev.preventDefault();
    $("chat-input").focus({ preventScroll: true });
    $("chat-form").scrollIntoView({ block: "end" });
  }

  // ----- login
  function showLoginMessage(key, kind) {
    loginMessageKey = key;
    const el = $("login-message");
    el.textContent = key ? t(key) : "";
    if (kind) el.dataset.kind = kind;
    else delete el.dataset.kind;
  }

  function currentToken() {
    if (!identity || identity.expired) return null;
    if (Date.now() >= identity.expiresAt) {
      onAuthError("token_expired");
      return null;
    }
    return identity.token;
  }

  function renderLogin() {
    const loggedIn = Boolean(identity && !identity.expired);
    $("login-area").hidden = loggedIn;
    $("logged-in-area").hidden = !loggedIn;
    $("logged-in-name").textContent = loggedIn ? identity.person.name : "";
  }

  function scheduleExpiry() {
    window.clearTimeout(expiryTimer);
    if (identity && !identity.expired) {
      expiryTimer = window.setTimeout(() => onAuthError("token_expired"), Math.max(0, identity.expiresAt - Date.now()));
    }
  }

  function onAuthError() {
    // The person stays the conversation's owner: logging in again as them continues it.
    if (!identity || identity.expired) return;
    identity.expired = true;
    identity.token = null;
    writeJson(window.sessionStorage, IDENTITY_KEY, identity);
    renderLogin();
    showLoginMessage("login_expired", "error");
  }

  async function login(ev) {
    ev.preventDefault();
    const select = $("person-select");
    if (!select.value) {
      showLoginMessage("login_choose_first", "error");
      select.focus();
      return;
    }
    const button = $("login-button");
    button.disabled = true;
    showLoginMessage("logging_in");
    try {
      const resp = await fetch("/api/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ person: select.value }),
      });
      const body = await resp.json().catch(() => ({}));
      if (!resp.ok) {
        showLoginMessage(resp.status === 503 ? "login_unavailable" : "login_failed", "error");
        return;
      }
      identity = {
        token: body.token,
        expiresAt: Date.now() + (body.expires_in - 30) * 1000, // renew a little before the agency's clock says so
        person: body.person,
        expired: false,
      };
      writeJson(window.sessionStorage, IDENTITY_KEY, identity);
      chat.bindOwner(body.person.id);
      scheduleExpiry();
      renderLogin();
      showLoginMessage("logged_in_notice");
      $("logout-button").focus();
    } catch (e) {
      showLoginMessage("login_unavailable", "error");
    } finally {
      button.disabled = false;
    }
  }

  function logout() {
    identity = null;
    writeJson(window.sessionStorage, IDENTITY_KEY, null);
    window.clearTimeout(expiryTimer);
    chat.newConversation();
    renderLogin();
    showLoginMessage("logged_out");
    $("person-select").focus();
  }

  async function loadPeople() {
    const select = $("person-select");
    try {
      const resp = await fetch("/api/people");
      if (!resp.ok) throw new Error(String(resp.status));
      const body = await resp.json();
      for (const p of body.people) {
        const opt = document.createElement("option");
        opt.value = p.id;
        opt.textContent = p.name + " (" + p.nric + ")";
        select.appendChild(opt);
      }
    } catch (e) {
      showLoginMessage("people_unavailable", "error");
    }
  }

  // ----- start
  async function start() {
    setLargeText(Boolean(prefs.largeText));
    applyTexts();
    savePrefs();
    document.querySelectorAll(".lang-button").forEach((b) => b.addEventListener("click", () => setLanguage(b.dataset.lang)));
    $("large-text").addEventListener("click", () => setLargeText(!prefs.largeText));
    $("login-form").addEventListener("submit", login);
    $("logout-button").addEventListener("click", logout);
    $("new-conversation").addEventListener("click", () => {
      chat.newConversation();
      if (identity && identity.person) chat.bindOwner(identity.person.id);
      $("chat-input").focus();
    });
    $("jump-to-chat").addEventListener("click", jumpToChat);
    document.querySelector(".skip-link").addEventListener("click", (ev) => {
      ev.preventDefault();
      $("chat-input").focus();
    });

    const config = await fetch("/api/config").then((r) => r.json());
    chat = new window.MomentsChat({
      els: {
        transcript: $("transcript"), form: $("chat-form"), input: $("chat-input"), send: $("send-button"),
        status: $("connection-status"), typing: $("typing"), announcer: $("announcer"), limit: $("chat-limit"),
      },
      config: config,
      t: t,
      language: () => prefs.lang,
      token: currentToken,
      onAuthError: onAuthError,
      pageLinks: { login: { anchor: "login-heading", focus: focusLogin } },
    });
    // A conversation that belonged to someone who is not logged in in this tab is not theirs to see.
    if (chat.owner && !(identity && identity.person && identity.person.id === chat.owner)) {
      chat.newConversation();
    }
    renderLogin();
    scheduleExpiry();
    if (identity && identity.expired) showLoginMessage("login_expired", "error");
    window.momentsChat = chat; // for tests and for the curious
    chat.start();
    await loadPeople();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
