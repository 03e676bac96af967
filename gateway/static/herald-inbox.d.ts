// Types of herald-inbox.js: the <herald-inbox> custom element (built on herald.js).
//
//   import "https://notify.example.com/static/herald-inbox.js";
//   <herald-inbox api-key="pk_..." url="https://notify.example.com"></herald-inbox>
//   document.querySelector("herald-inbox")!.getToken = async () => "a reader JWT";
import type { Herald, HeraldNotification, HeraldOptions } from "./herald";

export interface HeraldInboxEventMap extends HTMLElementEventMap {
  /** A notification arrived (live, not the inbox's reload). */
  "herald-notification": CustomEvent<HeraldNotification>;
  /** The reader clicked (or pressed Enter on) a notification; it is marked read.
   * Cancelable: the page routes it (to `detail.data.url`, say). */
  "herald-click": CustomEvent<HeraldNotification>;
}

/**
 * Attributes: `api-key` (pk_...), `url` (the gateway; default the page's origin), `token` (a
 * reader JWT, if the page has one), `layout` ("dropdown", the default: a bell that opens a
 * panel; "page": the list is always shown), `lang` (default: the page's), `time-zone` (IANA;
 * default: the browser's), `snooze-choices` (seconds or "tomorrow", default "3600 tomorrow").
 *
 * Theme: `--herald-accent`, `--herald-surface`, `--herald-text`, `--herald-muted`,
 * `--herald-badge`, `--herald-border`, `--herald-radius`, `--herald-width`; parts `bell`,
 * `badge`, `panel`, `tab`, `action`, `status`, `list`, `item` (with `read`/`unread`), `title`,
 * `snooze`, `empty`.
 */
export class HeraldInbox extends HTMLElement {
  /** Fetches a fresh reader JWT from the product's backend (first connect and on expiry). */
  getToken: (() => Promise<string>) | null;
  /** More herald.js options (storage, baseDelay, maxDelay), read when the element starts. */
  options: Partial<HeraldOptions>;
  /** The herald.js client behind the element, once it started. */
  readonly herald: Herald | null;
  readonly snoozeChoices: Array<number | "tomorrow">;
  addEventListener<K extends keyof HeraldInboxEventMap>(
    type: K, listener: (this: HeraldInbox, event: HeraldInboxEventMap[K]) => void,
    options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
                   options?: boolean | AddEventListenerOptions): void;
}

declare global {
  interface HTMLElementTagNameMap {
    "herald-inbox": HeraldInbox;
  }
}

export default HeraldInbox;
