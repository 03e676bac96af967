// Compiled (not run) by `make lint`: herald-inbox.d.ts describes the element as a page uses it.
import "../../gateway/static/herald-inbox";
import type { HeraldNotification } from "../../gateway/static/herald";

const inbox = document.querySelector("herald-inbox")!;
inbox.getToken = async () => "a reader JWT";
inbox.options = { baseDelay: 300 };
inbox.addEventListener("herald-click", (event) => {
  const clicked: HeraldNotification = event.detail;
  const url = clicked.data["url"];
  if (typeof url === "string") { event.preventDefault(); location.assign(url); }
});
inbox.addEventListener("herald-notification", (event) => console.log(event.detail.title));
console.log(inbox.herald?.unseen, inbox.snoozeChoices.length);
