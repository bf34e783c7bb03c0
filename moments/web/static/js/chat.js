/* The chat widget: Rasa's socket.io protocol (session_request → session_confirm, user_uttered → bot_uttered)
   over socket.io-client v4, rendered as plain, accessible HTML.

   - The conversation (session id and its session key, transcript, unsent messages) is kept in localStorage,
     so a reload shows the history and continues the same Rasa conversation. session_confirm hands over the
     session's key with its id; a later session_request must present it (the server gives anyone who asks for
     an id without its key a new session, so a session id alone opens nobody's conversation).
   - Every message has an id and stays in an outbox until the server acknowledges it (after the bot's turn);
     after a reconnect unacknowledged messages are sent again and the server drops the ones it already has.
     So nothing is lost and nothing is processed twice.
   - No reply is lost either: every bot message has an id from the server (derived from the tracker); the last
     one shown is kept with the conversation (`last_bot_id`). After every (re)connect, before anything is sent,
     the widget asks for the bot messages after it (`replay_request`) and shows each one it has not shown yet,
     in the conversation's order; bot messages arriving live meanwhile wait and are merged in by their ids.
   - Metadata sent with each message (socket.io `customData`):
       {"message_id": "...", "language": "en|zh|ms|ta", "channel": "web", "token": "<Singpass JWT>"}
     (token only while logged in); the Rasa channel verifies and rebuilds it.
*/
"use strict";

(function () {
  const STORE_KEY = "moments.chat.v1";
  const MAX_HISTORY = 200;
  const ACK_TIMEOUT_MS = 30000;
  const MENU_PAYLOAD = "/help"; // the intent whose answer is the main menu (utter_help)
  const URL_RE = /(https?:\/\/[^\s<>"']+[^\s<>"'.,;:!?)\]])/g;

  function randomId() {
    const bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  // Words that mark a Latin-script message as Malay rather than English.
  const MALAY_WORDS = new Set(("anda saya untuk dan yang boleh sila ini itu tidak bayi anak kelahiran temujanji " +
    "daftar mohon permohonan bantu bagi dengan sudah belum akan dalam atau pada kepada hari tarikh nombor " +
    "terima kasih selamat baik ya tiada balas taip hantar").split(" "));

  /** The language a message is written in, by its own letters: the script most of them are in (a few Tamil
   *  letters in an English greeting do not make it Tamil), and for Latin script Malay or English by its words.
   *  Every message gets one, so a Malay answer on the English page is read as Malay. */
  function scriptLanguage(text) {
    const tamil = (text.match(/[\u0B80-\u0BFF]/g) || []).length;
    const han = (text.match(/[\u3400-\u9FFF]/g) || []).length;
    const latin = (text.match(/[A-Za-z]/g) || []).length;
    // A Han character is about a word, a Tamil letter about a third of one, a Latin letter a fifth.
    const weights = { ta: tamil / 2.5, zh: han, latin: latin / 5 };
    const best = Object.keys(weights).reduce((a, b) => (weights[b] > weights[a] ? b : a));
    if (weights[best] === 0) return null;
    if (best !== "latin") return best;
    const words = text.toLowerCase().match(/[a-z]+/g) || [];
    const malay = words.filter((w) => MALAY_WORDS.has(w)).length;
    return malay >= 2 || (words.length <= 3 && malay >= 1) ? "ms" : "en";
  }

  /** What a screen reader hears of a bot text: links by their labels, never "](https://…)". */
  function plainText(text) {
    return text.replace(/\[([^\]\n]{1,160})\]\((?:#[a-z]{1,20}|https?:\/\/[^\s<>"')]+)\)/g, "$1");
  }

  const LOCALES = { en: "en-SG", zh: "zh-SG", ms: "ms-SG", ta: "ta-SG" };

  function freshState() {
    return { session_id: null, session_key: null, owner: null, greeted: false, history: [], outbox: [],
             last_bot_id: null };
  }

  class MomentsChat {
    /**
     * @param {object} o
     * @param {object} o.els        transcript, form, input, send, status, typing, announcer, limit
     * @param {object} o.config     {rasa_url, socketio_path, max_message_chars}
     * @param {function} o.t        (key, vars) -> text in the page's language
     * @param {function} o.language () -> "en" | "zh" | "ms" | "ta"
     * @param {function} o.token    () -> the Singpass token while logged in, else null
     * @param {function} o.onAuthError (code) -> void: the token was refused (expired or invalid)
     * @param {object} [o.pageLinks] {name: {anchor, focus()}}: "[label](#name)" in a bot message links there
     */
    constructor(o) {
      Object.assign(this, o);
      this.state = this.load();
      this.socket = null;
      this.sessionReady = false;
      this.inflight = null;
      this.attempt = 0;
      this.replaying = false; // a replay_request is out: live bot messages wait in replayBuffer
      this.replayBuffer = [];
      this.connectionState = "connecting";
      this.bindUi();
    }

    // ----- storage
    load() {
      try {
        const s = JSON.parse(window.localStorage.getItem(STORE_KEY));
        if (s && Array.isArray(s.history) && Array.isArray(s.outbox)) return Object.assign(freshState(), s);
      } catch (e) { /* a broken entry starts a new conversation */ }
      return freshState();
    }

    save() {
      this.state.history = this.state.history.slice(-MAX_HISTORY);
      try {
        window.localStorage.setItem(STORE_KEY, JSON.stringify(this.state));
      } catch (e) { /* storage full or disabled: the chat still works, only without history */ }
    }

    // ----- connection
    start() {
      this.render();
      this.setStatus("connecting");
      this.socket = window.io(this.config.rasa_url, {
        path: this.config.socketio_path,
        transports: ["websocket"],
        reconnection: true,
        reconnectionDelay: 500,
        reconnectionDelayMax: 5000,
        timeout: 10000,
        auth: (cb) => {
          const token = this.token();
          cb(token ? { token: token } : {});
        },
      });
      const s = this.socket;
      s.on("connect", () => {
        this.setStatus("connected");
        this.requestSession();
      });
      s.on("session_confirm", (sessionId, sessionKey) => this.onSession(sessionId, sessionKey));
      s.on("bot_uttered", (message) => {
        if (this.replaying) this.replayBuffer.push(message);
        else this.onBotMessage(message);
      });
      s.on("disconnect", (reason) => {
        this.sessionReady = false;
        this.inflight = null;
        // Live messages held for a replay that did not finish are dropped unseen: the next replay returns them
        // (its answer waits for the turn that sent them to be saved), in their place among the missed ones.
        this.replaying = false;
        this.replayBuffer = [];
        this.attempt += 1; // acknowledgements of the old connection are stale
        this.setStatus("reconnecting");
        if (reason === "io server disconnect") s.connect();
      });
      s.on("connect_error", (err) => {
        const code = err && err.message;
        if (code === "token_expired" || code === "token_invalid") {
          this.onAuthError(code); // forgets the token, so the next attempt connects as a guest
          s.connect();
          return;
        }
        this.setStatus("reconnecting");
      });
    }

    requestSession() {
      this.socket.emit("session_request", { session_id: this.state.session_id, session_key: this.state.session_key });
    }

    onSession(sessionId, sessionKey) {
      const isNew = this.state.session_id !== sessionId;
      if (isNew && this.state.session_id) {
        // The server did not accept the stored session (e.g. its key is missing): this is another conversation.
        const owner = this.state.owner;
        this.state = freshState();
        this.state.owner = owner;
        this.render();
      }
      this.state.session_id = sessionId;
      if (typeof sessionKey === "string") this.state.session_key = sessionKey;
      this.sessionReady = true;
      if (!isNew) this.replay(); // before anything is sent: the messages missed while the socket was down
      if (isNew && !this.state.greeted) {
        // A new conversation: set the bot's language to the page's, then let it greet with its menu.
        this.state.greeted = true;
        if (this.language() !== "en") this.enqueue(this.languagePayload(this.language()), null);
        this.enqueue("/greet", null);
      }
      this.save();
      this.flush();
    }

    /** Asks for the bot messages after the last one shown (a new session has none). Sending waits until the
     *  answer is in, so a re-sent message's reply is never shown before what the bot said earlier. */
    replay(again) {
      const unnumbered = !this.state.last_bot_id && this.state.history.some((e) => e.from === "bot");
      if (unnumbered) return; // a transcript stored before messages had ids: nothing to compare it with
      this.replaying = true;
      if (!again) this.replayBuffer = [];
      const attempt = this.attempt;
      const request = { session_id: this.state.session_id, after: this.state.last_bot_id };
      const token = this.token();
      if (token) request.token = token;
      this.socket.timeout(ACK_TIMEOUT_MS).emit("replay_request", request, (err, ack) => {
        if (attempt !== this.attempt || !this.replaying) return; // the connection changed: the next one asks again
        if (!again && !err && ack && !ack.ok && (ack.error === "token_expired" || ack.error === "token_invalid")) {
          this.onAuthError(ack.error); // forget the token and ask again (a guest's conversation is still theirs)
          this.replay(true);
          return;
        }
        this.endReplay(!err && ack && ack.ok && Array.isArray(ack.messages) ? ack.messages : null);
        this.flush();
      });
    }

    /** The replayed messages in their order, then those that came live meanwhile and were not among them. */
    endReplay(missed) {
      if (!this.replaying) return;
      const buffered = this.replayBuffer;
      this.replaying = false;
      this.replayBuffer = [];
      const ids = new Set();
      for (const m of missed || []) {
        if (m && typeof m.id === "string") ids.add(m.id);
        this.onBotMessage(m, true);
      }
      for (const m of buffered) if (!(m && ids.has(m.id))) this.onBotMessage(m);
    }

    setStatus(state) {
      this.connectionState = state;
      this.els.status.dataset.state = state;
      this.els.status.textContent = this.t("status_" + state);
    }

    // ----- sending
    languagePayload(lang) {
      return '/change_language{"language":"' + lang + '"}';
    }

    /** Send what the user typed or chose. `label` is what the transcript shows (a button's title). */
    send(text, label) {
      const message = (text || "").trim();
      if (!message) return false;
      if (message.length > this.config.max_message_chars) {
        this.showLimit(this.t("too_long", { max: this.config.max_message_chars }), true);
        return false;
      }
      this.retireQuickReplies();
      this.enqueue(message, label || message);
      return true;
    }

    /** Tell the bot to use another language (from the page's language picker; nothing shown as typed).
     *  The suggested replies on screen are in the old language: they are retired at once. If the bot's answer
     *  to the switch brings no new ones (a form re-asks its question with its own buttons), the menu is asked
     *  for again, so it comes back in the new language. */
    changeLanguage(lang) {
      const hadReplies = this.retireAllReplies();
      const after = this.state.history.length ? this.state.history[this.state.history.length - 1].id : null;
      this.enqueue(this.languagePayload(lang), null, hadReplies ? { menuAfter: after || "" } : null);
    }

    enqueue(message, shown, extra) {
      const id = randomId();
      if (shown !== null) {
        this.addEntry({ from: "user", text: shown, id: id, pending: true, at: new Date().toISOString() }, false);
      }
      this.state.outbox.push(Object.assign({ id: id, message: message }, extra || {}));
      this.save();
      this.flush();
    }

    /** After a language switch was handled: the menu again, unless the bot already offered replies. */
    offerMenuAfter(item) {
      if (item.menuAfter === undefined) return;
      const h = this.state.history;
      const start = item.menuAfter ? h.findIndex((e) => e.id === item.menuAfter) + 1 : 0;
      const offered = h.slice(start).some((e) => e.from === "bot" && e.replies && e.replies.length && !e.retired);
      if (!offered) this.enqueue(MENU_PAYLOAD, null);
    }

    metadata(messageId) {
      const meta = { message_id: messageId, language: this.language(), channel: "web" };
      const token = this.token();
      if (token) meta.token = token;
      return meta;
    }

    flush() {
      if (!this.socket || !this.socket.connected || !this.sessionReady || this.replaying || this.inflight ||
          !this.state.outbox.length) return;
      const item = this.state.outbox[0];
      const attempt = ++this.attempt;
      this.inflight = item.id;
      this.showTyping(true);
      this.socket.timeout(ACK_TIMEOUT_MS).emit(
        "user_uttered",
        { message: item.message, session_id: this.state.session_id, customData: this.metadata(item.id) },
        (err, ack) => {
          if (attempt !== this.attempt) return; // the connection changed meanwhile; flush() sends it again
          this.inflight = null;
          if (err) { this.flush(); return; } // no answer in time: send again (the server drops duplicates)
          this.onAck(item, ack || {});
        }
      );
    }

    onAck(item, ack) {
      if (!ack.ok && (ack.error === "token_expired" || ack.error === "token_invalid")) {
        this.onAuthError(ack.error); // forget the token, then send the same message again as a guest
        this.flush();
        return;
      }
      if (!ack.ok && ack.error === "no_session") {
        this.sessionReady = false;
        this.requestSession();
        return;
      }
      this.state.outbox = this.state.outbox.filter((m) => m.id !== item.id);
      const entry = this.state.history.find((e) => e.id === item.id);
      if (entry) {
        delete entry.pending;
        const li = this.els.transcript.querySelector('li[data-id="' + item.id + '"] .msg-state');
        if (li) li.remove();
      }
      if (!ack.ok) {
        const key = ack.error === "too_long" || ack.error === "rate_limited" ? ack.error : "send_failed";
        this.addEntry({ from: "error", key: key, id: randomId(), at: new Date().toISOString() }, true);
      }
      this.offerMenuAfter(item);
      this.save();
      if (!this.state.outbox.length) this.showTyping(false);
      this.flush();
    }

    // ----- receiving
    /** Shows a bot message once: one whose id is already in the transcript (sent live, then replayed) is skipped. */
    onBotMessage(message, replayed) {
      if (!message || typeof message !== "object") return;
      const sid = typeof message.id === "string" ? message.id : null;
      if (sid && this.state.history.some((e) => e.sid === sid)) return;
      let text = typeof message.text === "string" ? message.text : "";
      const attachment = message.attachment;
      if (!text && attachment && attachment.payload && attachment.payload.src) text = String(attachment.payload.src);
      const replies = Array.isArray(message.quick_replies)
        ? message.quick_replies
            .filter((r) => r && typeof r.title === "string" && typeof r.payload === "string")
            .map((r) => ({ title: r.title, payload: r.payload }))
        : [];
      if (sid) this.state.last_bot_id = sid;
      if (!text && !replies.length) { this.save(); return; }
      // A replayed message shows when the bot said it (its id starts with the server's time of it).
      const said = replayed && sid ? new Date(parseFloat(sid) * 1000) : new Date();
      const at = isNaN(said.getTime()) ? new Date() : said;
      const entry = { from: "bot", text: text, replies: replies, id: randomId(), at: at.toISOString() };
      if (sid) entry.sid = sid;
      this.addEntry(entry, true);
    }

    // ----- conversation lifecycle
    /** Forget this conversation and start another (logout, another person logs in, or the user asks). */
    newConversation() {
      this.state = freshState();
      this.inflight = null;
      this.attempt += 1;
      this.replaying = false;
      this.replayBuffer = [];
      this.save();
      this.render();
      this.showTyping(false);
      if (this.socket && this.socket.connected) {
        this.sessionReady = false;
        this.requestSession(); // freshState(): no id, no key
      }
    }

    /** The conversation belongs to the person who logged in during it; another person gets a new one. */
    bindOwner(personId) {
      if (this.state.owner && this.state.owner !== personId) this.newConversation();
      // Logged in (again): the server replays a logged-in conversation only to its person, so ask once more.
      else if (this.sessionReady && !this.replaying && !this.inflight) this.replay();
      this.state.owner = personId;
      this.save();
    }

    get owner() {
      return this.state.owner;
    }

    // ----- rendering
    addEntry(entry, announce) {
      this.state.history.push(entry);
      this.save();
      const li = this.renderEntry(entry, this.isLatestReplies(entry));
      this.els.transcript.appendChild(li);
      if (entry.from === "user") this.scrollToEnd();
      else this.showAnswer();
      if (announce) this.announce(entry);
    }

    isLatestReplies(entry) {
      // Quick replies stay usable until the user says something after them or switches the language.
      if (entry.retired) return false;
      const h = this.state.history;
      const i = h.indexOf(entry);
      return h.slice(i + 1).every((e) => e.from !== "user");
    }

    render() {
      const t = this.els.transcript;
      t.textContent = "";
      for (const entry of this.state.history) t.appendChild(this.renderEntry(entry, this.isLatestReplies(entry)));
      this.showStart(this.answerStart(), false);
    }

    renderEntry(entry, repliesActive) {
      const li = document.createElement("li");
      li.className = "msg msg-" + (entry.from === "user" ? "user" : "bot") + (entry.from === "error" ? " msg-error" : "");
      li.dataset.id = entry.id;
      const who = document.createElement("span");
      who.className = "sr-only";
      who.textContent = this.t(entry.from === "user" ? "you_said" : "bot_said") + " ";
      li.appendChild(who);
      const text = entry.from === "error" ? this.t(entry.key, { max: this.config.max_message_chars }) : entry.text;
      if (text) {
        const bubble = document.createElement("div");
        bubble.className = "bubble";
        const lang = entry.from === "error" ? null : scriptLanguage(text);
        if (lang) bubble.lang = lang;
        this.fillText(bubble, text);
        li.appendChild(bubble);
      }
      if (entry.at) li.appendChild(this.renderTime(entry.at));
      if (entry.pending) {
        const st = document.createElement("span");
        st.className = "msg-state";
        st.textContent = this.t("msg_sending");
        li.appendChild(st);
      }
      if (entry.replies && entry.replies.length && repliesActive) {
        const group = document.createElement("div");
        group.className = "quick-replies";
        group.setAttribute("role", "group");
        group.setAttribute("aria-label", this.t("suggested_replies"));
        for (const r of entry.replies) {
          const b = document.createElement("button");
          b.type = "button";
          b.className = "quick-reply";
          b.textContent = r.title;
          const lang = scriptLanguage(r.title);
          if (lang) b.lang = lang;
          b.addEventListener("click", () => this.chooseReply(r, group));
          group.appendChild(b);
        }
        li.appendChild(group);
      }
      return li;
    }

    /** Text with line breaks (CSS pre-line) and web addresses as links; never HTML from the bot. */
    fillText(el, text) {
      let last = 0;
      // "[Download the birth certificate (PDF)](https://…)" is a link with that label (a screen reader reads the
      // label, not a 100-character address); a bare address is a link to itself.
      // "[Go to the login](#login)" is a link to a part of this page (PAGE_LINKS): it moves the focus there.
      const LINK_RE = new RegExp("\\[([^\\]\\n]{1,160})\\]\\((?:#([a-z]{1,20})|(https?:\\/\\/[^\\s<>\"')]+))\\)|" +
        URL_RE.source, "g");
      text.replace(LINK_RE, (match, label, place, target, bare, offset) => {
        el.appendChild(document.createTextNode(text.slice(last, offset)));
        last = offset + match.length;
        if (place) {
          const go = this.pageLinks && this.pageLinks[place];
          if (!go) { // a place this page does not have: its label only
            el.appendChild(document.createTextNode(label));
            return match;
          }
          const a = document.createElement("a");
          a.href = "#" + go.anchor;
          a.className = "page-link";
          a.textContent = label;
          a.addEventListener("click", (ev) => { ev.preventDefault(); go.focus(); });
          el.appendChild(a);
          return match;
        }
        const url = target || bare;
        const a = document.createElement("a");
        a.href = url;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        a.textContent = label || url;
        const hint = document.createElement("span");
        hint.className = "sr-only";
        hint.textContent = " " + this.t("opens_new_tab");
        a.appendChild(hint);
        el.appendChild(a);
        return match;
      });
      el.appendChild(document.createTextNode(text.slice(last)));
    }

    chooseReply(reply, group) {
      if (group.dataset.used) return; // a double click sends once
      group.dataset.used = "1";
      for (const b of group.querySelectorAll("button")) b.disabled = true;
      this.send(reply.payload, reply.title);
      this.els.input.focus();
    }

    retireQuickReplies() {
      const active = this.els.transcript.querySelectorAll(".quick-replies");
      const hadFocus = Array.from(active).some((g) => g.contains(document.activeElement));
      active.forEach((g) => g.remove());
      if (hadFocus) this.els.input.focus();
    }

    /** Retires every suggested reply for good (kept so across re-renders and reloads); true if any was active. */
    retireAllReplies() {
      let had = false;
      for (const e of this.state.history) {
        if (e.replies && e.replies.length && !e.retired) {
          if (this.isLatestReplies(e)) had = true;
          e.retired = true;
        }
      }
      this.retireQuickReplies();
      this.save();
      return had;
    }

    announce(entry) {
      const text = entry.from === "error" ? this.t(entry.key, { max: this.config.max_message_chars }) : entry.text;
      const p = document.createElement("p");
      let said = this.t("bot_said") + " " + plainText(text || "");
      if (entry.replies && entry.replies.length) said += " " + this.t("replies_available", { n: entry.replies.length });
      p.textContent = said;
      this.els.announcer.appendChild(p);
      window.setTimeout(() => p.remove(), 15000); // keep the live region short; the transcript keeps everything
    }

    /** <time datetime="2026-12-04T01:30:00.000Z">9:30 am</time>: local time in the page's language; the date
     *  too when the message is not from today. */
    renderTime(iso) {
      const when = new Date(iso);
      const el = document.createElement("time");
      el.className = "msg-time";
      if (isNaN(when.getTime())) return el;
      el.dateTime = when.toISOString();
      const today = new Date().toDateString() === when.toDateString();
      const opts = today ? { hour: "numeric", minute: "2-digit" }
        : { day: "numeric", month: "short", hour: "numeric", minute: "2-digit" };
      try {
        el.textContent = new Intl.DateTimeFormat(LOCALES[this.language()] || undefined, opts).format(when);
      } catch (e) {
        el.textContent = when.toLocaleTimeString();
      }
      return el;
    }

    scrollToEnd() {
      const t = this.els.transcript;
      t.scrollTop = t.scrollHeight;
    }

    /** The bot's answer to the user's latest message: its first message, from the start of that message. */
    answerStart() {
      const h = this.state.history;
      let i = h.length - 1;
      while (i >= 0 && h[i].from !== "user") i -= 1;
      const first = h[i + 1];
      return first ? this.els.transcript.querySelector('li[data-id="' + first.id + '"]') : null;
    }

    /** Scrolls the transcript so that `li` starts at its top (or to the end, if everything after it fits). With
     *  `andWindow`, the page too, when the start is out of the window (200 % zoom, a phone). */
    showStart(li, andWindow) {
      if (!li) return this.scrollToEnd();
      const t = this.els.transcript;
      const top = li.getBoundingClientRect().top - t.getBoundingClientRect().top - t.clientTop + t.scrollTop;
      t.scrollTop = Math.max(0, Math.min(t.scrollHeight - t.clientHeight, top - 8));
      if (!andWindow) return;
      const r = li.getBoundingClientRect();
      const tr = t.getBoundingClientRect();
      const visibleTop = Math.max(r.top, tr.top);
      const lines = 3 * parseFloat(getComputedStyle(li).fontSize || "16"); // its first lines, not only a sliver
      if (visibleTop < 0 || visibleTop + lines > window.innerHeight) window.scrollBy(0, visibleTop - 8);
    }

    /** A new bot message arrived: show where the answer starts; the page moves only while the user is in the chat. */
    showAnswer() {
      const inChat = this.els.form.closest("section") && this.els.form.closest("section").contains(document.activeElement);
      this.showStart(this.answerStart(), inChat);
    }

    /** After the text size changed: the latest message in view again, from its start. */
    showLatest() {
      this.showStart(this.els.transcript.lastElementChild, false);
    }

    showTyping(on) {
      this.els.typing.hidden = !on;
    }

    showLimit(text, isError) {
      this.els.limit.textContent = text || "";
      if (isError) this.els.limit.dataset.kind = "error";
      else delete this.els.limit.dataset.kind;
    }

    /** Re-render what depends on the page's language (screen-reader labels, the status line). */
    relabel() {
      this.render();
      this.setStatus(this.connectionState);
      this.updateLimit();
    }

    updateLimit() {
      const max = this.config.max_message_chars;
      const left = max - this.els.input.value.length;
      if (left <= 0) this.showLimit(this.t("too_long", { max: max }), true);
      else if (left <= 100) this.showLimit(this.t("chars_left", { n: left }), false);
      else this.showLimit("", false);
    }

    // ----- the composer
    bindUi() {
      const { form, input } = this.els;
      input.maxLength = this.config.max_message_chars;
      form.addEventListener("submit", (ev) => {
        ev.preventDefault();
        if (this.send(input.value)) {
          input.value = "";
          this.updateLimit();
        }
      });
      input.addEventListener("keydown", (ev) => {
        if (ev.key !== "Enter" || ev.shiftKey || ev.isComposing || ev.keyCode === 229) return;
        ev.preventDefault();
        if (ev.repeat) return; // a held-down Enter sends once
        form.requestSubmit();
      });
      input.addEventListener("input", () => this.updateLimit());
      input.addEventListener("paste", (ev) => {
        const pasted = (ev.clipboardData && ev.clipboardData.getData("text")) || "";
        const room = this.config.max_message_chars - input.value.length + (input.selectionEnd - input.selectionStart);
        if (pasted.length > room) {
          window.setTimeout(() => this.showLimit(this.t("too_long", { max: this.config.max_message_chars }), true), 0);
        }
      });
    }
  }

  window.MomentsChat = MomentsChat;
})();
