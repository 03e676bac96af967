// socket.io on Node.js, the peer bench/peers.py measures Herald's gateway against.
// POST /blast {"n": N, "frame": {...}} emits the frame N times to every socket.
const http = require("http");
const { Server } = require("socket.io");

const port = Number(process.argv[2]);
const server = http.createServer((req, res) => {
  if (req.method !== "POST" || req.url !== "/blast") {
    res.statusCode = 404;
    res.end();
    return;
  }
  let body = "";
  req.on("data", (chunk) => { body += chunk; });
  req.on("end", () => {
    const { n, frame } = JSON.parse(body);
    for (let i = 0; i < n; i++) io.emit("notification", { ...frame, seq: i + 1 });
    res.end("ok");
  });
});
const io = new Server(server, { transports: ["websocket"], perMessageDeflate: false });
server.listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));
