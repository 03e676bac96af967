// <herald-inbox>: a whole inbox in one element, built on herald.js. No build step, no framework.
//
//   <script type="module" src="https://notify.example.com/static/herald-inbox.js"></script>
//   <herald-inbox api-key="pk_..." url="https://notify.example.com"></herald-inbox>
//   <script>document.querySelector("herald-inbox").getToken = () => fetch("/me/herald").then(r => r.text());</script>
//
// A bell with the unseen badge opens a panel (or, with layout="page", the list is the page):
// the inbox and the archive, read on click, archive, snooze, mark all read, live edits and
// retractions, empty and offline states, in the page's language (lang attribute, else the
// page's) and time zone (time-zone attribute, else the browser's). Shadow DOM: theme it with
// the --herald-* custom properties and ::part(); a click on a notification is the event
// "herald-click" (cancelable; the page routes it), a new one "herald-notification".
import { Herald } from "./herald.js";
import { MESSAGES } from "./herald-inbox-messages.js";

const RIGHT_TO_LEFT = new Set(["ar", "he", "fa", "ur"]);
const HOUR_MS = 3_600_000;

const STYLE = `
:host { --herald-accent: #3e63dd; --herald-surface: #fff; --herald-text: #1d2330;
  --herald-muted: #5b6270; --herald-badge: #c62a2f; --herald-border: #d9dce3;
  --herald-radius: 8px; --herald-width: 380px;
  display: inline-block; position: relative; font: 14px/1.4 system-ui, sans-serif;
  color: var(--herald-text); }
:host([layout="page"]) { display: block; }
button, select { font: inherit; color: inherit; }
:focus-visible { outline: 2px solid var(--herald-accent); outline-offset: 2px; }
.bell { position: relative; background: none; border: 0; padding: 6px; margin-inline-end: 12px;
  cursor: pointer; }
.badge { position: absolute; top: -6px; inset-inline-end: -12px; min-width: 18px; padding: 1px 5px;
  border-radius: 10px; background: var(--herald-badge); color: #fff; font-size: 12px; }
.badge[data-count="0"] { display: none; }
.panel { position: absolute; inset-inline-end: 0; top: 100%; z-index: 10; color: var(--herald-text);
  width: var(--herald-width); max-height: 70vh; overflow: auto; background: var(--herald-surface);
  border: 1px solid var(--herald-border); border-radius: var(--herald-radius);
  box-shadow: 0 8px 24px rgb(0 0 0 / 15%); padding: 8px; }
:host([layout="page"]) .panel { position: static; width: auto; max-height: none;
  box-shadow: none; border: 0; background: none; }
.panel[hidden] { display: none; }
.toolbar { display: flex; justify-content: space-between; gap: 8px; margin-bottom: 8px; }
.tab { background: none; border: 0; border-bottom: 2px solid transparent; cursor: pointer; }
.tab[aria-selected="true"] { border-bottom-color: var(--herald-accent); font-weight: 700; }
.all { background: none; border: 1px solid var(--herald-border); border-radius: 6px;
  cursor: pointer; }
.status { margin: 0 0 8px; color: var(--herald-muted); font-size: 13px; }
.status[data-state="open"] { display: none; }
.item { display: block; background: var(--herald-surface); border-radius: var(--herald-radius);
  padding: 10px 12px; margin-bottom: 6px; cursor: pointer; border: 1px solid var(--herald-border);
  border-inline-start: 4px solid transparent; }
.item.unread { border-inline-start-color: var(--herald-accent); }
.item.unread .title { font-weight: 700; }
.meta { display: block; color: var(--herald-muted); margin-top: 4px; font-size: 13px; }
.actions { float: inline-end; display: flex; gap: 6px; margin-inline-start: 8px; }
.actions button, .actions select { font-size: 13px; }
.empty { text-align: center; color: var(--herald-muted); padding: 24px; margin: 0; }
.hidden-label { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
`;

// Constructed once for every inbox on the page; adopted, so that a page whose CSP allows no
// inline style still shows the element styled.
let sheet = null;
function styleSheet() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
  }
  return sheet;
}

// The catalog of a language tag: "pt-BR" → pt_BR, else its language ("de-AT" → de), else none
// (the English of the msgid).
function catalogOf(tag) {
  const exact = tag.replace("-", "_");
  const language = tag.split(/[-_]/)[0];
  return MESSAGES[exact] || MESSAGES[Object.keys(MESSAGES).find((k) => k.startsWith(exact))]
    || MESSAGES[language] || {};
}

const BELL_ICON = `<svg width="24" height="24" viewBox="0 0 24 24" fill="currentColor" aria-hidden="true"
  focusable="false"><path d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22zm7-6V11a7 7 0 0 0-5.5-6.84V3
  a1.5 1.5 0 0 0-3 0v1.16A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2z"/></svg>`;

function element(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key.startsWith("aria") || key === "role" || key === "part") node.setAttribute(
      key.replace(/^aria([A-Z])/, (_m, c) => `aria-${c.toLowerCase()}`), value);
    else node[key] = value;
  }
  node.append(...children);
  return node;
}

export class HeraldInbox extends HTMLElement {
  static observedAttributes = ["lang", "time-zone", "api-key", "token", "url"];

  constructor() {
    super();
    this.attachShadow({ mode: "open" });
    this.shadowRoot.adoptedStyleSheets = [styleSheet()];
    this.showArchive = false;
    this.loaded = false; // the inbox is known (so "empty" may be said)
    this._getToken = null;
    /** More herald.js options (storage, baseDelay, maxDelay), read when it starts. */
    this.options = {};
  }

  /** The product's function that fetches a reader's JWT (first connect and on expiry). */
  get getToken() { return this._getToken; }
  set getToken(fn) {
    this._getToken = fn;
    if (this.isConnected) this._start();
  }

  /** The herald.js client behind the element, once it started. */
  get herald() { return this._herald || null; }

  /** Snooze choices: seconds, or "tomorrow" (9:00 the next day); attribute snooze-choices. */
  get snoozeChoices() {
    return (this.getAttribute("snooze-choices") || `${HOUR_MS / 1000} tomorrow`).split(/\s+/)
      .map((c) => (c === "tomorrow" ? c : Number(c))).filter((c) => c === "tomorrow" || c > 0);
  }

  connectedCallback() {
    if (!this.shadowRoot.childElementCount) this._build();
    this._translate();
    // Properties (getToken) are often set just after the element is parsed: start after them.
    queueMicrotask(() => this._start());
  }

  disconnectedCallback() {
    this._herald?.close();
    this._herald = null;
  }

  attributeChangedCallback(name) {
    if (!this.shadowRoot.childElementCount) return;
    if (name === "lang" || name === "time-zone") {
      this._translate();
      this._render();
    } else {
      this._start();
    }
  }

  // --- language ---------------------------------------------------------------------
  get language() {
    return this.getAttribute("lang") || this.closest("[lang]")?.getAttribute("lang")
      || navigator.language || "en";
  }

  _(msgid, values = {}) {
    const text = this.catalog[msgid] || msgid;
    return text.replace(/\{(\w+)\}/g, (_m, name) => values[name]);
  }

  _translate() {
    const lang = this.language;
    this.catalog = catalogOf(lang);
    this.numbers = new Intl.NumberFormat(lang);
    const timeZone = this.getAttribute("time-zone") || undefined;
    try {
      this.dates = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short", timeZone });
    } catch { // an unknown time zone: the browser's own
      this.dates = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
    }
    this.relative = new Intl.RelativeTimeFormat(lang, { numeric: "always" });
    this.dir = RIGHT_TO_LEFT.has(lang.split(/[-_]/)[0]) ? "rtl" : "ltr";
    const $ = this.$;
    $.bell.setAttribute("aria-label", this._("Notifications"));
    $.panel.setAttribute("aria-label", this._("Notifications"));
    $.tabs.setAttribute("aria-label", this._("Notifications"));
    $.showInbox.textContent = this._("Inbox");
    $.showArchive.textContent = this._("Archive");
    $.readAll.textContent = this._("Mark all read");
    this._showState(this._herald?.state || "idle");
    this._showUnseen(this._herald?.unseen || 0);
  }

  // --- structure --------------------------------------------------------------------
  _build() {
    const tab = (testid, selected) => element("button", {
      className: "tab", role: "tab", id: testid, ariaSelected: String(selected),
      ariaControls: "feed", part: "tab", dataset: { testid } });
    const $ = {
      bell: element("button", { className: "bell", part: "bell", ariaExpanded: "false",
                                ariaControls: "panel", dataset: { testid: "bell" } }),
      badge: element("span", { className: "badge", part: "badge", ariaHidden: "true",
                               dataset: { testid: "badge", count: "0" } }, "0"),
      // Said by screen readers when the count changes; the badge itself is only drawn.
      live: element("span", { className: "hidden-label", role: "status",
                              dataset: { testid: "announce" } }),
      panel: element("section", { className: "panel", id: "panel", part: "panel",
                                  dataset: { testid: "panel" } }),
      tabs: element("div", { role: "tablist" }),
      showInbox: tab("show-inbox", true),
      showArchive: tab("show-archive", false),
      readAll: element("button", { className: "all", part: "action",
                                   dataset: { testid: "read-all" } }),
      state: element("p", { className: "status", part: "status", role: "status",
                            dataset: { testid: "state", state: "idle" } }),
      feed: element("div", { role: "feed", id: "feed", part: "list", ariaBusy: "true",
                             ariaLabelledby: "show-inbox", dataset: { testid: "list" } }),
      empty: element("p", { className: "empty", part: "empty", hidden: true,
                            dataset: { testid: "empty" } }),
    };
    this.$ = $;
    $.bell.innerHTML = BELL_ICON;
    $.bell.append($.badge);
    $.tabs.append($.showInbox, $.showArchive);
    $.panel.append(element("div", { className: "toolbar" }, $.tabs, $.readAll), $.state,
                   $.feed, $.empty);
    this.shadowRoot.append($.bell, $.live, $.panel);
    this._setOpen(this.getAttribute("layout") === "page");
    this._wire();
  }

  _wire() {
    const $ = this.$;
    $.bell.addEventListener("click", () => this._bell());
    $.readAll.addEventListener("click", () => this._herald?.readAll());
    $.showInbox.addEventListener("click", () => this._showTab(false));
    $.showArchive.addEventListener("click", () => this._showTab(true));
    $.tabs.addEventListener("keydown", (e) => {
      if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
        this._showTab(!this.showArchive);
        (this.showArchive ? $.showArchive : $.showInbox).focus();
      }
    });
    $.feed.addEventListener("keydown", (e) => this._feedKey(e));
    this.shadowRoot.addEventListener("keydown", (e) => {
      if (e.key === "Escape" && this.getAttribute("layout") !== "page" && !$.panel.hidden) {
        this._setOpen(false);
        $.bell.focus();
      }
    });
  }

  // The bell opens the panel (the page layout: it is open already) and everything is seen.
  _bell() {
    const opening = this.getAttribute("layout") === "page" || this.$.panel.hidden;
    this._setOpen(opening);
    if (opening) this._herald?.markSeen();
  }

  _setOpen(open) {
    this.$.panel.hidden = !open;
    this.$.bell.setAttribute("aria-expanded", String(open));
  }

  _showTab(archive) {
    this.showArchive = archive;
    this.$.showInbox.setAttribute("aria-selected", String(!archive));
    this.$.showArchive.setAttribute("aria-selected", String(archive));
    this.$.feed.setAttribute("aria-labelledby", archive ? "show-archive" : "show-inbox");
    this._render();
  }

  // The feed pattern: PageDown/PageUp (and the arrows) move between notifications.
  _feedKey(e) {
    const items = [...this.$.feed.children];
    const at = items.indexOf(e.target);
    if (at < 0) return;
    const step = { PageDown: 1, ArrowDown: 1, PageUp: -1, ArrowUp: -1 }[e.key];
    if (step) {
      e.preventDefault();
      items[Math.min(items.length - 1, Math.max(0, at + step))].focus();
    } else if (e.key === "Enter" || e.key === " ") {
      e.preventDefault();
      e.target.click();
    }
  }

  // --- the client -------------------------------------------------------------------
  _start() {
    const apiKey = this.getAttribute("api-key");
    const token = this.getAttribute("token") || undefined;
    if (this._herald || !this.isConnected || !apiKey || !(token || this._getToken)) return;
    const herald = new Herald({ ...this.options, url: this.getAttribute("url") || undefined,
                                apiKey, token, getToken: this._getToken || undefined });
    this._herald = herald;
    herald.addEventListener("state", (e) => this._showState(e.detail));
    herald.addEventListener("unseen", (e) => this._showUnseen(e.detail));
    herald.addEventListener("inbox", () => { this.loaded = true; });
    herald.addEventListener("notification", (e) => this.dispatchEvent(new CustomEvent(
      "herald-notification", { detail: e.detail, bubbles: true, composed: true })));
    for (const event of ["notification", "read", "inbox", "updated", "deleted", "inboxstate"]) {
      herald.addEventListener(event, () => this._render());
    }
    herald.connect();
  }

  _showState(state) {
    const words = { idle: () => this._("idle"), connecting: () => this._("connecting"),
                    open: () => this._("connected"),
                    reconnecting: () => this._("Offline: reconnecting…"),
                    closed: () => this._("closed"), unauthorized: () => this._("not signed in") };
    this.$.state.dataset.state = state;
    this.$.state.textContent = words[state]?.() || state;
    this.$.feed.setAttribute("aria-busy", String(!this.loaded));
  }

  _showUnseen(count) {
    const shown = this.numbers.format(count);
    this.$.badge.dataset.count = String(count);
    this.$.badge.textContent = shown;
    const said = count ? this._("{count} unseen", { count: shown }) : "";
    this.$.bell.setAttribute("aria-label", [this._("Notifications"), said].filter(Boolean).join(", "));
    if (this.$.live.textContent !== said) this.$.live.textContent = said;
  }

  // --- the list ---------------------------------------------------------------------
  _render() {
    const herald = this._herald;
    if (!herald) return;
    const items = herald.list({ archived: this.showArchive });
    const focused = this.shadowRoot.activeElement?.closest?.(".item")?.dataset.id;
    this.$.feed.replaceChildren(...items.map((n, i) => this._item(n, i + 1, items.length)));
    if (focused) this.$.feed.querySelector(`[data-id="${CSS.escape(focused)}"]`)?.focus();
    this.$.feed.setAttribute("aria-busy", String(!this.loaded));
    // "No notifications yet" only once the inbox is known, never beside a badge of 1.
    this.$.empty.textContent = this.showArchive ? this._("Nothing archived.")
      : this._("No notifications yet.");
    this.$.empty.hidden = !this.loaded || items.length > 0;
  }

  _item(n, position, size) {
    const titleId = `title-${n.id}`;
    const title = element("span", { className: "title", id: titleId, dir: "auto",
                                    part: "title", dataset: { testid: "title" } }, n.title);
    // A reader's text may run the other way from the page (an English title in an Arabic
    // inbox): each piece is isolated, so the direction of one never reorders another.
    const date = element("bdi", { dataset: { testid: "date" } },
                         this.dates.format(new Date(n.created_at)));
    const meta = element("span", { className: "meta", id: `meta-${n.id}` },
                         element("bdi", {}, n.body || ""), " · ", date);
    const item = element("article", {
      className: `item ${n.read ? "read" : "unread"}`, tabIndex: 0, part: `item ${n.read ? "read" : "unread"}`,
      ariaPosinset: String(position), ariaSetsize: String(size), ariaLabelledby: titleId,
      ariaDescribedby: `meta-${n.id}`, dataset: { testid: "item", id: n.id } },
    this._actions(n), title, meta);
    item.addEventListener("click", (e) => {
      if (e.target.closest("button, select") || e.target !== item && e.target.closest(".actions")) return;
      if (!n.read) this._herald.markRead(n.id);
      this.dispatchEvent(new CustomEvent("herald-click", {
        detail: n, bubbles: true, composed: true, cancelable: true }));
    });
    return item;
  }

  _button(label, testid, onclick, context) {
    const b = element("button", { type: "button", part: "action", dataset: { testid } }, label);
    b.setAttribute("aria-label", `${label}: ${context}`);
    b.addEventListener("click", (e) => { e.stopPropagation(); onclick(); });
    return b;
  }

  // Archive (or bring back), and a snooze menu: hidden until then, then back as unread.
  _actions(n) {
    const box = element("span", { className: "actions" });
    box.append(n.archived
      ? this._button(this._("Back to inbox"), "unarchive", () => this._herald.unarchive(n.id), n.title)
      : this._button(this._("Archive"), "archive", () => this._herald.archive(n.id), n.title));
    const menu = element("select", { part: "snooze", dataset: { testid: "snooze" } });
    menu.setAttribute("aria-label", `${this._("Snooze…")}: ${n.title}`);
    menu.append(new Option(this._("Snooze…"), ""));
    for (const choice of this.snoozeChoices) {
      menu.append(choice === "tomorrow"
        ? new Option(this._("until tomorrow 9:00"), "tomorrow")
        : new Option(this._duration(choice), String(choice)));
    }
    menu.addEventListener("click", (e) => e.stopPropagation());
    menu.addEventListener("keydown", (e) => e.stopPropagation());
    menu.addEventListener("change", () => {
      if (menu.value) this._herald.snooze(n.id, this._until(menu.value));
    });
    box.append(menu);
    return box;
  }

  // "in 10 seconds", "dans 1 heure", "خلال ساعة واحدة": the browser's own words for a span.
  _duration(seconds) {
    for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]]) {
      if (seconds % size === 0) return this.relative.format(seconds / size, unit);
    }
    return this.relative.format(seconds, "second");
  }

  _until(value) {
    if (value !== "tomorrow") return new Date(Date.now() + Number(value) * 1000);
    const tomorrow = new Date();
    tomorrow.setDate(tomorrow.getDate() + 1);
    tomorrow.setHours(9, 0, 0, 0);
    return tomorrow;
  }
}

if (!customElements.get("herald-inbox")) customElements.define("herald-inbox", HeraldInbox);
export default HeraldInbox;
