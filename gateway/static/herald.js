// herald.js: the browser client of Herald's gateway. An ES module with no build step; its types
// are in herald.d.ts, and package.json makes this folder an npm package (herald-client).
//
//   import { Herald } from "/static/herald.js";
//   const herald = new Herald({ url: "wss://notify.example.com", apiKey: "pk_...",
//                               getToken: async () => (await fetch("/my-token")).text() });
//   herald.addEventListener("notification", (e) => show(e.detail));
//   herald.addEventListener("unseen", (e) => badge(e.detail));
//   herald.connect();
//
// It reconnects with exponential backoff and full jitter, resumes from the last sequence
// number it holds without a gap (and asks for any hole it sees), never shows a notification
// twice, acknowledges what it received, and reloads the inbox over REST when the gateway
// says the history after its sequence is gone. Edits, retractions and inbox states (seen,
// read, archived, snoozed) carry a change number: it resumes from the last one it applied,
// so what changed while it was away reaches it too.

const AUTH_FAILED = 4401;
const TOKEN_EXPIRED = 4403;
const TOO_MANY_SOCKETS = 4409; // this reader holds the most sockets allowed (other tabs)
const TRY_AGAIN_LATER = 1013; // the gateway is busy with this address's handshakes
// Acknowledgements of a burst are gathered this long: the gateway applies them every 0.2 s
// (gateway/acks.py) and a notification is marked delivered when a socket takes it, so an
// earlier ack changes nothing, while one per frame of a steady stream costs both ends.
const ACK_DELAY_MS = 200;

// A registration's worker once it is active (subscribing needs one).
async function activated(registration) {
  const worker = registration.installing || registration.waiting || registration.active;
  if (worker.state === "activated") return;
  await new Promise((resolve) => worker.addEventListener("statechange", () => {
    if (worker.state === "activated") resolve();
  }));
}

export class Herald extends EventTarget {
  constructor({ url, apiKey, token, getToken, storage, baseDelay = 500, maxDelay = 30000 }) {
    super();
    this.url = (url || location.origin).replace(/^http/, "ws").replace(/\/$/, "");
    this.httpBase = this.url.replace(/^ws/, "http");
    this.apiKey = apiKey;
    this.token = token;
    this.getToken = getToken;
    this.storage = storage === undefined ? globalThis.localStorage : storage;
    this.baseDelay = baseDelay;
    this.maxDelay = maxDelay;
    this.notifications = new Map(); // id -> notification, the inbox as this client knows it
    this.unread = 0;
    this.unseen = 0; // the badge: notifications not seen since the bell was last opened
    this.archivedCount = 0;
    this.change = 0; // highest change number applied (edits, retractions, states)
    this.early = new Map(); // id -> change frame for a notification not received yet
    this.state = "idle";
    this.seq = 0; // highest seq held with no gap below it
    this.acked = 0; // highest seq acknowledged to the gateway on this socket
    this.epoch = null;
    this.held = new Map(); // seq -> frame that arrived ahead of a hole
    this.attempt = 0;
    this.stopped = false;
    this._restore();
    this._listenToPushes();
  }

  connect() {
    this.stopped = false;
    this._open();
  }

  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    if (this.ws) this.ws.close(1000, "client closed");
    this._setState("closed");
  }

  markRead(ids) {
    this._send({ type: "read", ids: [].concat(ids) });
  }

  readAll() {
    this._send({ type: "read_all" });
  }

  // The bell was opened: everything in the inbox counts as seen (the badge goes to 0).
  markSeen(ids) {
    this._send(ids === undefined ? { type: "seen_all" } : { type: "seen", ids: [].concat(ids) });
  }

  archive(ids) {
    this._send({ type: "archive", ids: [].concat(ids) });
  }

  unarchive(ids) {
    this._send({ type: "unarchive", ids: [].concat(ids) });
  }

  // Hidden until `until` (a Date or ISO 8601 text), then back as unread.
  snooze(ids, until) {
    const when = until instanceof Date ? until.toISOString() : until;
    this._send({ type: "snooze", ids: [].concat(ids), until: when });
  }

  // The inbox newest first: not archived, not snoozed (or { archived: true }: the archive).
  list({ archived = false } = {}) {
    const now = Date.now();
    return [...this.notifications.values()]
      .filter((n) => archived ? n.archived
        : !n.archived && !(n.snoozed_until && Date.parse(n.snoozed_until) > now))
      .sort((a, b) => b.seq - a.seq);
  }

  // --- connection -------------------------------------------------------------------
  async _open() {
    this._setState(this.attempt ? "reconnecting" : "connecting");
    if (!this.token && this.getToken) this.token = await this.getToken();
    const ws = new WebSocket(`${this.url}/ws?api_key=${encodeURIComponent(this.apiKey)}`);
    this.ws = ws;
    ws.onopen = () => {
      // The token goes in the first frame, never in the URL (URLs end up in access logs).
      ws.send(JSON.stringify({ type: "auth", token: this.token }));
      ws.send(JSON.stringify({ type: "hello", since: this.epoch ? this.seq : null,
                               epoch: this.epoch, change: this.change }));
    };
    ws.onmessage = (event) => this._receive(JSON.parse(event.data));
    ws.onclose = (event) => this._closed(event);
  }

  async _closed(event) {
    this.ws = null;
    if (this.stopped) return;
    if (event.code === AUTH_FAILED || event.code === TOKEN_EXPIRED) {
      if (!this.getToken) {
        this._setState("unauthorized");
        return;
      }
      this.token = null; // fetch a fresh one before the next attempt
    }
    if (event.code === TOO_MANY_SOCKETS || event.code === TRY_AGAIN_LATER) {
      // Retrying soon would be refused again: wait the longest delay, never a tight loop.
      this.attempt = Math.max(this.attempt, Math.ceil(Math.log2(this.maxDelay / this.baseDelay)));
    }
    this._setState("reconnecting");
    // Full jitter: readers of a restarted gateway do not all come back at once.
    const ceiling = Math.min(this.maxDelay, this.baseDelay * 2 ** this.attempt);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => this._open(), Math.random() * ceiling);
  }

  _send(frame) {
    if (this.ws && this.ws.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(frame));
  }

  _setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.dispatchEvent(new CustomEvent("state", { detail: state }));
  }

  // --- frames -----------------------------------------------------------------------
  _receive(frame) {
    switch (frame.type) {
      case "welcome": return this._welcome(frame);
      case "notification":
      case "deleted":
        // A retraction with a seq not yet reached keeps the seqs dense like a notification.
        if (frame.type === "notification" || frame.seq > this.seq) return this._notification(frame);
        return this._changed(frame);
      case "updated": return this._changed(frame);
      case "state": return this._state(frame);
      case "counts": return this._counts(frame);
      case "unread": return this._setUnread(frame.count);
      case "read": return this._read(frame.ids);
      case "error": return this._error(frame);
      default: return undefined;
    }
  }

  async _welcome(frame) {
    this.attempt = 0;
    this.acked = 0;
    this.welcomeSeq = frame.seq;
    this._setUnread(frame.unread);
    if (frame.unseen !== undefined) this._setUnseen(frame.unseen);
    this._setState("open");
    if (this.afterOpen) [this.afterOpen, this.afterOpen] = [null, this.afterOpen()];
    if (!frame.recovered) {
      // History after our seq is gone (or this is the first visit): start from the inbox.
      this.epoch = frame.epoch;
      this.seq = frame.seq;
      this.change = frame.change || 0; // the reloaded inbox holds every change up to now
      this.held.clear();
      this._save();
      await this.reloadInbox();
    }
  }

  _notification(frame) {
    if (frame.seq <= this.seq || this.held.has(frame.seq)) return; // seen already
    if (frame.seq > this.seq + 1) {
      // A hole: keep this one and ask the gateway to replay from what we hold.
      if (this.held.size === 0) this._send({ type: "hello", since: this.seq });
      this.held.set(frame.seq, frame);
      return;
    }
    this._accept(frame);
    while (this.held.has(this.seq + 1)) {
      const next = this.held.get(this.seq + 1);
      this.held.delete(next.seq);
      this._accept(next);
    }
    this._save();
  }

  _accept(frame) {
    this.seq = frame.seq;
    this._scheduleAck();
    if (frame.type === "deleted") return this._changed(frame);
    const known = this.notifications.has(frame.id);
    this.notifications.set(frame.id, frame);
    const fresh = !known && frame.seq > this.welcomeSeq;
    if (fresh && !frame.read) this._setUnread(this.unread + 1);
    if (fresh && !frame.seen) this._setUnseen(this.unseen + 1);
    if (!known) this.dispatchEvent(new CustomEvent("notification", { detail: frame }));
    const early = this.early.get(frame.id);
    if (early) {
      this.early.delete(frame.id);
      this._changed(early);
    }
  }

  // An edit ("updated", the whole notification) or a retraction ("deleted"), applied only if
  // newer than what this client holds: a push built before the edit may arrive after it.
  _changed(frame) {
    const held = this.notifications.get(frame.id);
    if (!held && frame.seq > this.seq) {
      this.early.set(frame.id, frame); // its notification is still on its way
      return;
    }
    if (held && (held.change || 0) >= frame.change) return;
    this.change = Math.max(this.change, frame.change || 0);
    if (frame.type === "deleted") {
      this.notifications.delete(frame.id);
      this._closeShown([frame.id]).catch(() => {});
      this.dispatchEvent(new CustomEvent("deleted", { detail: frame.id }));
    } else {
      const { type, ...notification } = frame;
      this.notifications.set(frame.id, { type: "notification", ...notification });
      this.dispatchEvent(new CustomEvent("updated", { detail: this.notifications.get(frame.id) }));
    }
    this._save();
  }

  // One state for many notifications: {"ids", "seen"|"read"|"archived"|"snoozed_until"}.
  _state(frame) {
    const { type, ids, change, ...fields } = frame;
    for (const id of ids) {
      const n = this.notifications.get(id);
      if (n) Object.assign(n, fields, { change });
    }
    this.change = Math.max(this.change, change || 0);
    if (fields.read || fields.archived) this._closeShown(ids).catch(() => {});
    this._save();
    this.dispatchEvent(new CustomEvent("inboxstate", { detail: frame }));
  }

  _counts(frame) {
    this.archivedCount = frame.archived;
    this._setUnread(frame.unread);
    this._setUnseen(frame.unseen);
  }

  _setUnseen(count) {
    this.unseen = Math.max(0, count);
    this.dispatchEvent(new CustomEvent("unseen", { detail: this.unseen }));
  }

  // One cumulative ack ("everything up to seq") per burst, not one frame per notification:
  // a reader who gets 300 at once sends a single frame, well within the gateway's limit.
  _scheduleAck() {
    if (this.ackTimer) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = null;
      if (this.seq > this.acked) {
        this._send({ type: "ack", seq: this.seq });
        this.acked = this.seq;
      }
    }, ACK_DELAY_MS);
  }

  _read(ids) {
    this._closeShown(ids).catch(() => {});
    for (const id of ids) {
      const n = this.notifications.get(id);
      if (n) n.read = true;
    }
    this.dispatchEvent(new CustomEvent("read", { detail: ids }));
  }

  _setUnread(count) {
    this.unread = Math.max(0, count);
    this.dispatchEvent(new CustomEvent("unread", { detail: this.unread }));
  }

  async _error(frame) {
    if (frame.code === "token_expired" && this.getToken) {
      this.token = await this.getToken();
      this._send({ type: "auth", token: this.token });
    }
    this.dispatchEvent(new CustomEvent("error", { detail: frame }));
  }

  // --- REST inbox -------------------------------------------------------------------
  async reloadInbox(limit = 50) {
    const response = await fetch(`${this.httpBase}/v1/me/notifications?limit=${limit}&state=all`, {
      headers: { Authorization: `Bearer ${this.token}`, "X-API-Key": this.apiKey },
    });
    if (!response.ok) return;
    const page = await response.json();
    const fresh = new Map(page.items.map((n) => [n.id, n]));
    // Live frames that arrived while the page loaded are kept.
    for (const [id, n] of this.notifications) if (!fresh.has(id)) fresh.set(id, n);
    this.notifications = fresh;
    this.dispatchEvent(new CustomEvent("inbox", { detail: this.list() }));
  }

  // --- Web Push: the browser's own notification while no tab of the page is open ----------
  // The service worker must be served from the page's own origin: the gateway's
  // /static/herald-sw.js for pages it serves, a copy of it (same npm package) for others.
  async subscribePush({ serviceWorker = `${this.httpBase}/static/herald-sw.js` } = {}) {
    if (!("serviceWorker" in navigator) || !("PushManager" in globalThis)) {
      throw new Error("this browser has no Web Push");
    }
    if ((await Notification.requestPermission()) !== "granted") {
      throw new Error("the reader did not allow notifications");
    }
    const { public_key: key } = await this._me("GET", "/push-subscriptions");
    const registration = await navigator.serviceWorker.register(serviceWorker);
    await activated(registration); // not serviceWorker.ready: that waits for the page's scope
    const subscription = (await registration.pushManager.getSubscription())
      || await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
    await this._me("POST", "/push-subscriptions", subscription.toJSON());
    return subscription;
  }

  async unsubscribePush() {
    const registration = await navigator.serviceWorker?.getRegistration(`${this.httpBase}/static/`);
    const subscription = await registration?.pushManager.getSubscription();
    if (!subscription) return false;
    await this._me("DELETE", `/push-subscriptions?endpoint=${encodeURIComponent(subscription.endpoint)}`);
    return subscription.unsubscribe();
  }

  // A push clicked (the service worker says which) is read; one read or retracted here is
  // taken off the reader's screen if this browser still shows it.
  _listenToPushes() {
    const worker = globalThis.navigator?.serviceWorker;
    if (!worker) return;
    worker.addEventListener("message", (e) => {
      if (e.data?.type === "herald-read" && e.data.id) this.markRead([e.data.id]);
    });
    const clicked = new URLSearchParams(globalThis.location?.hash.slice(1)).get("herald-read");
    if (clicked) this.afterOpen = () => this.markRead([clicked]);
  }

  async _closeShown(ids) {
    const registration = await globalThis.navigator?.serviceWorker?.getRegistration(`${this.httpBase}/static/`);
    if (!registration) return;
    for (const id of ids) {
      for (const shown of await registration.getNotifications({ tag: id })) shown.close();
    }
  }

  async _me(method, path, body) {
    const response = await fetch(`${this.httpBase}/v1/me${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, "X-API-Key": this.apiKey,
                 ...(body ? { "Content-Type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = await response.json();
    if (!response.ok) throw new Error(`Herald answered ${response.status}: ${JSON.stringify(answer.detail)}`);
    return answer;
  }

  // --- resume across page loads -------------------------------------------------------
  _storageKey() {
    return `herald:${this.apiKey}`;
  }

  _save() {
    try {
      this.storage?.setItem(this._storageKey(),
        JSON.stringify({ seq: this.seq, epoch: this.epoch, change: this.change }));
    } catch { /* storage full or disabled: resuming falls back to a REST reload */ }
  }

  _restore() {
    try {
      const saved = JSON.parse(this.storage?.getItem(this._storageKey()) || "null");
      if (saved) ({ seq: this.seq, epoch: this.epoch, change: this.change = 0 } = saved);
    } catch { /* ignore a corrupt entry */ }
  }
}
export default Herald;
