// Init script of the interop pages (never shipped), run before any page script: wraps
// RTCPeerConnection so that every connection counts its `negotiationneeded` events and its
// offer/answer rounds (setRemoteDescription / setLocalDescription calls, and the ones that failed);
// records uncaught errors and unhandled rejections in window.__uncaught, and the bridge channel's
// messages in window.__bridgeChannel.
// The counters live on the connection (`pc.__counters`) and in window.__pcCounters, in creation order.
(function () {
  // Uncaught errors and unhandled rejections, with what was thrown (Playwright's pageerror loses
  // non-Error reasons).
  const uncaught = [];
  window.__uncaught = uncaught;
  const describe = (x) => (x && (x.stack || x.message)) || (typeof x === 'object' ? JSON.stringify(x) : String(x));
  window.addEventListener('error', (e) => uncaught.push(`error: ${describe(e.error) || e.message}`));
  window.addEventListener('unhandledrejection', (e) => uncaught.push(`unhandled rejection: ${describe(e.reason)}`));
  // The bridge channel (colibri-ws): the last 200 messages each way, for failure reports.
  const NativeWebSocket = window.WebSocket;
  const channel = [];
  window.__bridgeChannel = channel;
  const keep = (dir, data) => {
    if (channel.length >= 200) channel.shift();
    channel.push({ t: Math.round(performance.now()), dir, data: String(data).slice(0, 600) });
  };
  window.WebSocket = class extends NativeWebSocket {
    constructor(url, ...rest) {
      super(url, ...rest);
      if (!String(url).includes('/colibri-ws/')) return;
      this.addEventListener('message', (e) => keep('in', e.data));
      const send = this.send.bind(this);
      this.send = (data) => { keep('out', data); return send(data); };
    }
  };

  const Native = window.RTCPeerConnection;
  if (!Native || Native.__counted) return;
  const all = [];
  window.__pcCounters = all;
  const now = () => Math.round(performance.now());
  class CountedPeerConnection extends Native {
    constructor(...args) {
      super(...args);
      const counters = {
        index: all.length, createdAt: now(), closed: false,
        negotiationNeeded: 0, negotiationNeededAt: [],
        remoteDescriptions: 0, localDescriptions: 0, descriptionErrors: [],
      };
      all.push(counters);
      Object.defineProperty(this, '__counters', { value: counters });
      this.addEventListener('negotiationneeded', () => {
        counters.negotiationNeeded++;
        if (counters.negotiationNeededAt.length < 20) counters.negotiationNeededAt.push(now());
      });
    }

    setRemoteDescription(...args) {
      this.__counters.remoteDescriptions++;
      return this.#watch('remote', super.setRemoteDescription(...args));
    }

    setLocalDescription(...args) {
      this.__counters.localDescriptions++;
      return this.#watch('local', super.setLocalDescription(...args));
    }

    close() {
      this.__counters.closed = true;
      return super.close();
    }

    #watch(which, promise) {
      return promise.catch((err) => {
        if (this.__counters.descriptionErrors.length < 10) this.__counters.descriptionErrors.push(`${which}: ${err && err.message}`);
        throw err;
      });
    }
  }
  CountedPeerConnection.__counted = true;
  window.RTCPeerConnection = CountedPeerConnection;
  if (window.webkitRTCPeerConnection) window.webkitRTCPeerConnection = CountedPeerConnection;
})();
