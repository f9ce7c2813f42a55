// The live feed: one WebSocket to /ws/live (wss:// under https), reconnecting with capped
// exponential backoff and jitter, a ping every 20 s, and a watchdog that reconnects when the
// server has been silent for 45 s (the server sends at least a heartbeat every few seconds).

const PING_EVERY_MS = 20_000;
const SILENCE_MS = 45_000;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;

/** ws(s)://<host>/ws/live for the page's own origin. */
export function liveUrl(location = window.location) {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/ws/live`;
}

/**
 * handlers: onMessage(msg), onStatus({state: "connecting"|"open"|"closed", retryInMs?, attempts}).
 * `subscription()` returns the message to send after each (re)connect, or null.
 */
export class LiveFeed {
  constructor(url, { onMessage, onStatus, subscription = () => null }) {
    this.url = url;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.subscription = subscription;
    this.socket = null;
    this.attempts = 0;
    this.lastMessageAt = 0;
    this.timers = { retry: null, ping: null, watchdog: null };
    this.stopped = false;
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.clearTimers();
    this.socket?.close(1000, "page closed");
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) {
      this.socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  connect() {
    this.clearTimers();
    this.onStatus({ state: "connecting", attempts: this.attempts });
    let socket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.addEventListener("open", () => {
      this.attempts = 0;
      this.lastMessageAt = Date.now();
      this.onStatus({ state: "open", attempts: 0 });
      const sub = this.subscription();
      if (sub) this.send(sub);
      this.timers.ping = setInterval(() => this.send({ type: "ping" }), PING_EVERY_MS);
      this.timers.watchdog = setInterval(() => {
        if (Date.now() - this.lastMessageAt > SILENCE_MS) socket.close(4000, "server silent");
      }, 5_000);
    });
    socket.addEventListener("message", (event) => {
      this.lastMessageAt = Date.now();
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return; // not ours to show; the next frame will do
      }
      this.onMessage(message);
    });
    socket.addEventListener("close", () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.clearTimers();
      if (!this.stopped) this.scheduleRetry();
    });
    // "error" is always followed by "close"; nothing to do here (and nothing to log).
    socket.addEventListener("error", () => {});
  }

  scheduleRetry() {
    const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** this.attempts);
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    this.attempts += 1;
    this.onStatus({ state: "closed", retryInMs: delay, attempts: this.attempts });
    this.timers.retry = setTimeout(() => this.connect(), delay);
  }

  clearTimers() {
    clearTimeout(this.timers.retry);
    clearInterval(this.timers.ping);
    clearInterval(this.timers.watchdog);
    this.timers = { retry: null, ping: null, watchdog: null };
  }
}
