// Compiled (not run) by `make lint`: herald.d.ts describes herald.js as a page would use it.
import Herald, { HeraldNotification, HeraldState } from "../../gateway/static/herald";

const herald = new Herald({ url: "https://notify.example.com", apiKey: "pk_example",
                            getToken: async () => "a reader JWT", storage: null });
herald.addEventListener("notification", (event) => {
  const shown: HeraldNotification = event.detail;
  console.log(shown.title, shown.seq, shown.priority);
});
herald.addEventListener("unread", (event) => console.log(event.detail + 1));
herald.addEventListener("state", (event) => { const state: HeraldState = event.detail; });
herald.addEventListener("unseen", (event) => console.log(event.detail + 1));
herald.addEventListener("updated", (event) => console.log(event.detail.change));
herald.addEventListener("deleted", (event) => console.log(event.detail.length));
herald.addEventListener("inboxstate", (event) => console.log(event.detail.ids, event.detail.archived));
herald.connect();
herald.markRead(herald.list().map((n) => n.id));
herald.markSeen();
herald.archive(herald.list({ archived: false })[0].id);
herald.unarchive(herald.list({ archived: true }).map((n) => n.id));
herald.snooze("an-id", new Date(Date.now() + 3_600_000));
const snoozed: string | null = herald.list()[0].snoozed_until;
herald.readAll();
void herald.reloadInbox(20);
herald.close();
