// herald-sw.js: the service worker of Herald's Web Push. It shows each push as the browser's
// own notification (tagged with the notification's id, so a later push of the same one
// replaces it), and on a click focuses a tab of the page (or opens one) and has herald.js
// there mark it read. Served by the gateway at /static/herald-sw.js; a page on another
// origin serves its own copy (service workers are same-origin).

self.addEventListener("push", (event) => {
  let shown;
  try {
    shown = event.data?.json();
  } catch {
    return; // not Herald's
  }
  if (!shown?.id) return;
  event.waitUntil(self.registration.showNotification(shown.title, {
    body: shown.body, tag: shown.id, data: { id: shown.id, url: shown.url },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const { id, url } = event.notification.data || {};
  const target = new URL(url || "/", self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((w) => w.url.split("#")[0] === target.split("#")[0]) || windows[0];
    if (open) {
      open.postMessage({ type: "herald-read", id });
      return open.focus();
    }
    return self.clients.openWindow(`${target.split("#")[0]}#herald-read=${encodeURIComponent(id)}`);
  })());
});
