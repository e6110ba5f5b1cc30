// Runs in the interop test page (never shipped): drives the unmodified lib-jitsi-meet bundle the way
// jitsi-meet does and records what happens in window.ljm for the test runner to read.
// window.LJM_BUILD (set by the page) says which build is loaded: '2021' (npm @lyno/lib-jitsi-meet,
// December 2021) or 'current' (today's upstream, ../shared/vendor/lib-jitsi-meet); they are driven
// with the options jitsi-meet of their time passes.
/* global JitsiMeetJS, config */
(function () {
  const build = window.LJM_BUILD || '2021';
  const state = { build, events: [], errors: [], remoteTracks: [], messages: [], left: [], joinRequestedAt: 0, joinedAt: 0, firstRemoteFrameAt: 0, lastN: null };
  window.ljm = state;
  const now = () => Math.round(performance.now());
  const log = (type, data) => state.events.push({ t: now(), type, ...(data || {}) });

  /**
   * Today's jitsi-meet passes its whole config.js to JitsiMeetJS.init, to the JitsiConnection (with
   * serviceUrl + ?room=, and `flags`, where it turns ssrcRewritingEnabled on unless config.js says
   * otherwise) and to initJitsiConference. SSRC rewriting is off here unless asked for: the server
   * does not implement it yet (issue 13).
   */
  function currentConnectionOptions(serviceUrl, o) {
    return { ...config, serviceUrl, flags: { ...(config.flags || {}), ssrcRewritingEnabled: !!o.ssrcRewriting } };
  }

  async function connect(o) {
    const { room, token, sourceNameSignaling } = o;
    // jitsi-meet adds ?room= to the WebSocket URL so the server can route the connection (config.js).
    const serviceUrl = `${config.serviceUrl}?room=${encodeURIComponent(room)}`;
    let options;
    if (build === 'current') {
      JitsiMeetJS.init({ ...config, enableAnalyticsLogging: false });
      // Its keep-alive (an HTTP GET of the service URL 5 s after connecting) runs as configured: the
      // page is served from another origin than the edge, so this exercises the edge's CORS.
      options = currentConnectionOptions(serviceUrl, o);
    } else {
      JitsiMeetJS.init({ sourceNameSignaling: !!sourceNameSignaling });
      options = {
        hosts: config.hosts, serviceUrl, enableWebsocketResume: config.enableWebsocketResume,
        websocketKeepAlive: -1, clientNode: 'http://jitsi.org/jitsimeet',
      };
    }
    JitsiMeetJS.setLogLevel(JitsiMeetJS.logLevels.WARN);
    state.version = JitsiMeetJS.version;
    const connection = new JitsiMeetJS.JitsiConnection(null, token || null, options);
    state.connection = connection;
    // Raw Jingle traffic, kept for failure reports.
    state.jingle = [];
    const strophe = connection.xmpp.connection._stropheConn;
    strophe.rawInput = (d) => { if (d.includes('urn:xmpp:jingle:1')) state.jingle.push(`<< ${d}`); };
    strophe.rawOutput = (d) => { if (d.includes('urn:xmpp:jingle:1')) state.jingle.push(`>> ${d}`); };
    const E = JitsiMeetJS.events.connection;
    await new Promise((resolve, reject) => {
      connection.addEventListener(E.CONNECTION_ESTABLISHED, resolve);
      connection.addEventListener(E.CONNECTION_FAILED, (err, msg) => reject(new Error(`connection failed: ${err} ${msg || ''}`)));
      connection.connect();
    });
    log('connected');
    return connection;
  }

  function watchFirstFrame(el) {
    if (!el.requestVideoFrameCallback) return;
    el.requestVideoFrameCallback(() => { if (!state.firstRemoteFrameAt) state.firstRemoteFrameAt = performance.now(); });
  }

  window.startLjm = async function (opts) {
    const { room, nick, p2p, password } = opts;
    let connection;
    try {
      connection = await connect(opts);
    } catch (err) {
      state.connectError = String(err && err.message);
      return false;
    }
    const tracks = await JitsiMeetJS.createLocalTracks({ devices: ['audio', 'video'], resolution: 360 });
    state.localTracks = tracks;
    state.opts = opts;
    await joinConference(connection, room, opts, {});
    return true;
  };

  /**
   * A conference on the page's connection, as jitsi-meet creates one: `room` on the configured MUC,
   * or with `extra.customDomain` on another (a breakout room), its events logged, the local tracks
   * added, then joined.
   */
  async function joinConference(connection, room, opts, extra) {
    const { nick, p2p, password } = opts;
    const conference = connection.initJitsiConference(room, build === 'current'
      ? { ...config, ...(opts.conferenceOptions || {}), p2p: { ...(config.p2p || {}), enabled: !!p2p, stunServers: [] }, ...extra }
      : { openBridgeChannel: 'websocket', p2p: { enabled: !!p2p, stunServers: [] }, enableLayerSuspension: true, ...(opts.conferenceOptions || {}), ...extra });
    state.conference = conference;
    state.joinedAt = 0;
    const C = JitsiMeetJS.events.conference;
    conference.on(C.CONFERENCE_JOINED, () => { state.joinedAt = performance.now(); log('joined', { myId: conference.myUserId() }); });
    conference.on(C.CONFERENCE_FAILED, (e, ...params) => { state.errors.push(String(e)); log('failed', { e: String(e), params: params.map(String) }); });
    // Room features of today's build (absent from the 2021 one): the meeting's start, room metadata.
    if (C.CONFERENCE_CREATED_TIMESTAMP) conference.on(C.CONFERENCE_CREATED_TIMESTAMP, (ts) => log('created-timestamp', { ts: String(ts) }));
    if (C.METADATA_UPDATED) conference.on(C.METADATA_UPDATED, (metadata) => log('metadata', { metadata }));
    // Polls (the polls component) and the start-muted policy heard before joining (room metadata).
    if (C.POLL_RECEIVED) conference.on(C.POLL_RECEIVED, (poll) => log('poll', { poll: JSON.parse(JSON.stringify(poll)) }));
    if (C.POLL_ANSWER_RECEIVED) conference.on(C.POLL_ANSWER_RECEIVED, (answer) => log('poll-answer', { answer: JSON.parse(JSON.stringify(answer)) }));
    if (C.START_MUTED_POLICY_CHANGED) conference.on(C.START_MUTED_POLICY_CHANGED, (policy) => log('start-muted-policy', { policy: { ...policy } }));
    conference.on(C.CONFERENCE_ERROR, (e) => { state.errors.push(String(e)); log('error', { e: String(e) }); });
    conference.on(C.USER_JOINED, (id, user) => log('user-joined', { id, name: user.getDisplayName() }));
    conference.on(C.USER_LEFT, (id) => { state.left.push(id); log('user-left', { id }); });
    // What the server says this participant may use (mod_jitsi_permissions); absent in the 2021 build.
    if (C.PERMISSIONS_RECEIVED) conference.on(C.PERMISSIONS_RECEIVED, (p) => { state.permissions = p; log('permissions', { p }); });
    conference.on(C.MESSAGE_RECEIVED, (id, text) => { state.messages.push({ id, text }); log('message', { id, text }); });
    conference.on(C.TRACK_ADDED, (track) => {
      if (track.isLocal()) return;
      const owner = track.getParticipantId();
      const type = track.getType();
      state.remoteTracks.push({ owner, type, videoType: type === 'video' ? track.getVideoType() : undefined, muted: track.isMuted(), ssrc: typeof track.getSsrc === 'function' ? Number(track.getSsrc()) : undefined });
      log('track-added', { owner, media: type });
      const el = document.createElement(type === 'video' ? 'video' : 'audio');
      el.autoplay = true;
      el.playsInline = true;
      el.dataset.owner = owner;
      document.body.appendChild(el);
      track.attach(el);
      if (type === 'video') watchFirstFrame(el);
    });
    conference.on(C.TRACK_REMOVED, (track) => { if (!track.isLocal()) log('track-removed', { owner: track.getParticipantId(), media: track.getType() }); });
    conference.on(C.TRACK_MUTE_CHANGED, (track) => log('mute-changed', { owner: track.isLocal() ? 'local' : track.getParticipantId(), media: track.getType(), muted: track.isMuted() }));
    conference.on(C.DOMINANT_SPEAKER_CHANGED, (id) => log('dominant-speaker', { id }));
    // Recording (RecordingManager's JibriSession): its status as the library reports it, with who started or stopped it.
    conference.on(C.RECORDER_STATE_CHANGED, (session) => {
      const who = (p) => (p && typeof p === 'object' && p.getId ? p.getId() : p) || null;
      log('recorder', { status: session.getStatus(), id: session.getID(), mode: session.getMode(), error: session.getError() || null,
        initiator: who(session.getInitiator()), terminator: who(session.getTerminator()) });
    });
    conference.on(C.DATA_CHANNEL_OPENED, () => log('bridge-channel-open'));
    conference.on(C.P2P_STATUS, (_c, on) => log('p2p', { on }));
    if (C.FORWARDED_SOURCES_CHANGED) conference.on(C.FORWARDED_SOURCES_CHANGED, (leaving, entering) => log('forwarded-sources', { leaving, entering }));
    conference.on(C.LAST_N_ENDPOINTS_CHANGED, (leaving, entering) => {
      const now = new Set(state.lastN || []);
      for (const id of leaving || []) now.delete(id);
      for (const id of entering || []) now.add(id);
      state.lastN = [...now];
      log('last-n', { leaving, entering });
    });
    conference.on(C.AV_MODERATION_CHANGED, (e) => log('av-moderation', { enabled: e.enabled, media: e.mediaType }));
    conference.on(C.AV_MODERATION_APPROVED, (e) => log('av-approved', { media: e.mediaType }));
    conference.on(C.AV_MODERATION_PARTICIPANT_APPROVED, (e) => log('av-participant-approved', { id: e.participant && e.participant.getId(), media: e.mediaType }));
    conference.on(C.USER_ROLE_CHANGED, (id, role) => log('role', { id, role }));
    conference.on(C.KICKED, (actor) => log('kicked', { by: actor && actor.getId ? actor.getId() : String(actor) }));
    conference.on(C.ENDPOINT_MESSAGE_RECEIVED, (p, msg) => log('endpoint-message', { from: p.getId(), msg }));
    // The lobby (today's build): knockers as moderators see them, the room turning members-only.
    if (C.LOBBY_USER_JOINED) conference.on(C.LOBBY_USER_JOINED, (id, name) => log('lobby-joined', { id, name }));
    if (C.LOBBY_USER_UPDATED) conference.on(C.LOBBY_USER_UPDATED, (id, p) => log('lobby-updated', { id, email: p && p.email }));
    if (C.LOBBY_USER_LEFT) conference.on(C.LOBBY_USER_LEFT, (id) => log('lobby-left', { id }));
    if (C.MEMBERS_ONLY_CHANGED) conference.on(C.MEMBERS_ONLY_CHANGED, (on) => log('members-only', { on }));
    // Breakout rooms (today's build): the list, and moves, which the page follows as jitsi-meet does.
    if (C.BREAKOUT_ROOMS_UPDATED) conference.on(C.BREAKOUT_ROOMS_UPDATED, (u) => { state.breakoutRooms = u.rooms; log('breakout-updated', { rooms: u.rooms }); });
    if (C.BREAKOUT_ROOMS_MOVE_TO_ROOM) {
      conference.on(C.BREAKOUT_ROOMS_MOVE_TO_ROOM, (roomJid) => {
        log('breakout-move', { roomJid });
        window.ljmSwitchRoom(roomJid).catch((err) => log('breakout-move-failed', { err: String(err) }));
      });
    }
    conference.setDisplayName(nick);
    for (const t of state.localTracks) await conference.addTrack(t);
    state.joinRequestedAt = performance.now();
    conference.join(password);
  }

  /**
   * jitsi-meet's moveToRoom: leave the conference with reason `switch_room`, then create the one of
   * `roomJid` (node and MUC domain) on the same connection with the same tracks.
   */
  window.ljmSwitchRoom = async function (roomJid) {
    const at = roomJid.indexOf('@');
    const node = roomJid.slice(0, at);
    const domain = roomJid.slice(at + 1);
    const old = state.conference;
    await old.leave('switch_room');
    state.remoteTracks = [];
    for (const el of document.querySelectorAll('[data-owner]')) el.remove();
    const mainMuc = config.hosts && config.hosts.muc;
    await joinConference(state.connection, node, state.opts, domain === mainMuc ? {} : { customDomain: domain });
    state.switchedTo = roomJid;
  };

  /** Replaces the camera with a (fake) screen capture, as jitsi-meet's screen sharing does. */
  window.ljmShareScreen = async function () {
    const captured = await JitsiMeetJS.createLocalTracks({ devices: ['desktop'] });
    // Chromium may capture the screen's audio as well: share the video.
    const desktop = captured.find((t) => t.getType() === 'video');
    const camera = state.localTracks.find((t) => t.getType() === 'video');
    await state.conference.replaceTrack(camera, desktop);
    return desktop.getVideoType();
  };

  /** conference.startRecording(options): the session's id, or the error's first condition (JibriSession's getError). */
  window.ljmStartRecording = async function (options) {
    try {
      const session = await state.conference.startRecording(options);
      return { id: session.getID(), status: session.getStatus() };
    } catch (err) {
      const condition = err && err.getElementsByTagName ? err.getElementsByTagName('error')[0]?.children[0]?.tagName : String(err);
      return { error: condition || 'unknown' };
    }
  };

  window.ljmStopRecording = async function (id) {
    try {
      await state.conference.stopRecording(id);
      return { ok: true };
    } catch (err) {
      return { error: err && err.getElementsByTagName ? err.getElementsByTagName('error')[0]?.children[0]?.tagName : String(err) };
    }
  };

  window.ljmLeave = async function () {
    await state.conference.leave();
    await state.connection.disconnect();
  };

  /** Inbound media per remote SSRC on the active peer connection (JVB or P2P). */
  window.ljmStats = async function () {
    const c = state.conference;
    const session = c && (c.isP2PActive() ? c.p2pJingleSession : c.jvbJingleSession);
    const pc = session && session.peerconnection && session.peerconnection.peerconnection;
    if (!pc) return { p2p: false, state: 'none', inbound: [] };
    const report = await pc.getStats();
    const inbound = [];
    // Sender reports the bridge passed on show up as remote-outbound-rtp.
    let senderReports = 0;
    report.forEach((s) => {
      if (s.type === 'remote-outbound-rtp') senderReports++;
      if (s.type !== 'inbound-rtp') return;
      inbound.push({
        kind: s.kind, ssrc: s.ssrc, packets: s.packetsReceived || 0, framesDecoded: s.framesDecoded || 0, height: s.frameHeight || 0,
        samples: (s.totalSamplesReceived || 0) - (s.concealedSamples || 0),
      });
    });
    return { p2p: c.isP2PActive(), state: pc.connectionState, inbound, senderReports };
  };

  /** The active peer connection (JVB or P2P) and its Jingle session. */
  function activeSession() {
    const c = state.conference;
    const session = c && (c.isP2PActive() ? c.p2pJingleSession : c.jvbJingleSession);
    return { c, session, pc: session && session.peerconnection && session.peerconnection.peerconnection };
  }

  /**
   * Cumulative media counters of the active peer connection per remote participant (see
   * flowSnapshot in ljm-harness.ts): inbound streams are matched to their JitsiRemoteTrack by track
   * id (then by SSRC), so a participant's numbers follow it across renegotiations; they restart
   * from zero when the peer connection is replaced (a new `sid`).
   */
  window.ljmFlowSnapshot = async function () {
    const { c, session, pc } = activeSession();
    const at = Math.round(performance.now());
    if (!pc) return { at, sid: null, p2p: false, connectionState: 'none', participants: {}, unattributed: { videoFramesDecoded: 0, audioSamplesReceived: 0 } };
    const byTrackId = new Map();
    const bySsrc = new Map();
    for (const p of c.getParticipants()) {
      for (const t of p.getTracks()) {
        byTrackId.set(t.getTrack().id, p.getId());
        if (t.getSsrc && t.getSsrc()) bySsrc.set(Number(t.getSsrc()), p.getId());
      }
    }
    const participants = {};
    for (const p of c.getParticipants()) participants[p.getId()] = { name: p.getDisplayName() || '', videoFramesDecoded: 0, audioSamplesReceived: 0, videoHeight: 0, videoStreams: 0, audioStreams: 0 };
    const unattributed = { videoFramesDecoded: 0, audioSamplesReceived: 0 };
    (await pc.getStats()).forEach((s) => {
      if (s.type !== 'inbound-rtp') return;
      const owner = byTrackId.get(s.trackIdentifier) || bySsrc.get(s.ssrc);
      const into = owner && participants[owner] ? participants[owner] : unattributed;
      if (s.kind === 'video') {
        into.videoFramesDecoded += s.framesDecoded || 0;
        if (into !== unattributed) { into.videoStreams++; into.videoHeight = Math.max(into.videoHeight, s.frameHeight || 0); }
      } else if (s.kind === 'audio') {
        into.audioSamplesReceived += Math.max(0, (s.totalSamplesReceived || 0) - (s.concealedSamples || 0));
        if (into !== unattributed) into.audioStreams++;
      }
    });
    return { at, sid: session.sid, p2p: c.isP2PActive(), connectionState: pc.connectionState, participants, unattributed };
  };
})();
