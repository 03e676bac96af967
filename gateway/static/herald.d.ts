// Types of herald.js, the browser client of Herald's gateway (an ES module, no build step).
//
//   import { Herald } from "https://notify.example.com/static/herald.js";
//   const herald = new Herald({ url: "https://notify.example.com", apiKey: "pk_...", getToken });
//   herald.addEventListener("notification", (e) => show(e.detail));
//   herald.connect();

/** One notification as the gateway sends it (frame `notification`, REST inbox item). */
export interface HeraldNotification {
  id: string;
  seq: number;
  title: string;
  body: string;
  category: string | null;
  priority: "high" | "normal" | "low";
  data: Record<string, unknown>;
  created_at: string;
  read: boolean;
  /** The bell was opened since it arrived. */
  seen: boolean;
  archived: boolean;
  /** Hidden from the inbox until then (ISO 8601), then back as unread. */
  snoozed_until: string | null;
  /** The reader's change number of its last edit or state change (0: none). */
  change: number;
}

/** Frame `state`: many notifications took one state. */
export interface HeraldStateFrame {
  type: "state";
  ids: string[];
  change: number;
  seen?: boolean;
  read?: boolean;
  archived?: boolean;
  snoozed_until?: string | null;
}

export type HeraldState =
  | "idle" | "connecting" | "open" | "reconnecting" | "closed" | "unauthorized";

export interface HeraldErrorFrame {
  type: "error";
  code: string;
  message: string;
}

export interface HeraldOptions {
  /** The gateway's base URL (http(s) or ws(s)); default: the page's own origin. */
  url?: string;
  /** The tenant's publishable key (pk_...). */
  apiKey: string;
  /** The reader's JWT, if the page has one already. */
  token?: string;
  /** Fetches a fresh JWT from the product's backend (on first connect and on expiry). */
  getToken?: () => Promise<string>;
  /** Where the last sequence number is kept across page loads; null: nowhere. */
  storage?: Pick<Storage, "getItem" | "setItem"> | null;
  /** Reconnect backoff, in milliseconds: full jitter between 0 and min(max, base * 2^n). */
  baseDelay?: number;
  maxDelay?: number;
}

export interface HeraldEventMap {
  notification: CustomEvent<HeraldNotification>;
  /** An edit, or a snoozed notification coming back. */
  updated: CustomEvent<HeraldNotification>;
  /** Retracted by the product: its id. */
  deleted: CustomEvent<string>;
  inboxstate: CustomEvent<HeraldStateFrame>;
  unread: CustomEvent<number>;
  /** The badge: notifications not seen since the bell was last opened. */
  unseen: CustomEvent<number>;
  read: CustomEvent<string[]>;
  inbox: CustomEvent<HeraldNotification[]>;
  state: CustomEvent<HeraldState>;
  error: CustomEvent<HeraldErrorFrame>;
}

export class Herald extends EventTarget {
  constructor(options: HeraldOptions);
  readonly state: HeraldState;
  /** Unread notifications of this reader, as the gateway counts them. */
  readonly unread: number;
  /** Unseen notifications (the badge), as the gateway counts them. */
  readonly unseen: number;
  readonly archivedCount: number;
  /** The highest sequence number held with no gap below it. */
  readonly seq: number;
  connect(): void;
  close(): void;
  markRead(ids: string | string[]): void;
  readAll(): void;
  /** Some notifications seen; without ids, all of them (the bell was opened). */
  markSeen(ids?: string | string[]): void;
  archive(ids: string | string[]): void;
  unarchive(ids: string | string[]): void;
  /** Hidden until `until`, then back as unread and pushed again. */
  snooze(ids: string | string[], until: Date | string): void;
  /** The inbox as this client knows it, newest first (archived and snoozed left out), or
   * the archive with `{ archived: true }`. */
  list(options?: { archived?: boolean }): HeraldNotification[];
  /** Loads the newest notifications over REST (done by itself when history is gone). */
  reloadInbox(limit?: number): Promise<void>;
  /** Ask permission, register the service worker (the gateway's /static/herald-sw.js, or
   * your own copy on your page's origin) and store this browser's push subscription, so the
   * reader gets the browser's own notification while no tab is open. */
  subscribePush(options?: { serviceWorker?: string }): Promise<PushSubscription>;
  /** Stop Web Push to this browser; false when it had no subscription. */
  unsubscribePush(): Promise<boolean>;
  addEventListener<K extends keyof HeraldEventMap>(
    type: K, listener: (this: Herald, event: HeraldEventMap[K]) => void,
    options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
                   options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof HeraldEventMap>(
    type: K, listener: (this: Herald, event: HeraldEventMap[K]) => void,
    options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
                      options?: boolean | EventListenerOptions): void;
}

export default Herald;
