/**
 * The meeting web app: a home page to pick a room, a pre-join screen (preview, devices, name),
 * and the room (tiles, dominant speaker, mute, camera, screen share, chat, participants with
 * moderator actions, raise hand, password, leave). Plain DOM; the protocol is in meeting.ts.
 * @module
 */
import { h } from './dom.ts';
import { logInUrl, loginAvailable, logOut, signedInUser, takeTokenFromUrl } from './login.ts';
import { lobbyPanel, waitingScreen } from './lobby-panel.ts';
import { Meeting, type ClientConfig, type Participant } from './meeting.ts';
import { pollsPanel } from './polls-panel.ts';
import { recordingError } from './recording.ts';
import { XmppError } from './xmpp-connection.ts';

declare const config: ClientConfig;
const app = document.getElementById('app')!;

const randomRoom = () => {
  const words = ['amber', 'brisk', 'cedar', 'delta', 'ember', 'fjord', 'glade', 'harbor', 'indigo', 'juniper', 'kestrel', 'lumen'];
  const pick = () => words[Math.floor(Math.random() * words.length)]!;
  return `${pick()}-${pick()}-${Math.floor(Math.random() * 900 + 100)}`;
};

const loginOutcome = takeTokenFromUrl();

/** Log in / the signed-in user with Log out, where the edge offers login (`path`: where to come back). */
function accountBar(path: string, room?: string): HTMLElement | null {
  if (!loginAvailable(config)) return null;
  const user = signedInUser(room);
  if (!user) {
    return h('div', { class: 'account', id: 'account' },
      loginOutcome === 'failed' ? h('span', { class: 'error', role: 'alert' }, 'Login failed. ') : null,
      h('a', { class: 'button', id: 'log-in', href: logInUrl(path) }, 'Log in'));
  }
  return h('div', { class: 'account', id: 'account' },
    user.avatar ? h('img', { class: 'avatar', id: 'account-avatar', src: user.avatar, alt: '', width: 32, height: 32, referrerpolicy: 'no-referrer' }) : null,
    h('span', { id: 'account-name' }, `Signed in as ${user.name}${user.moderator ? ' (moderator)' : ''}`),
    h('button', { type: 'button', id: 'log-out', onclick: () => { logOut(); location.reload(); } }, 'Log out'));
}

function home(): void {
  const input = h('input', { id: 'room-name', name: 'room', value: randomRoom(), required: true, pattern: '[A-Za-z0-9._-]{1,64}', 'aria-describedby': 'room-help' });
  app.replaceChildren(h('form', {
    class: 'home', onsubmit: (ev: Event) => { ev.preventDefault(); location.assign(`/${encodeURIComponent(input.value.trim().toLowerCase())}`); },
  }, h('h1', {}, 'edgemeet'), h('label', { for: 'room-name' }, 'Room name', input),
  h('p', { id: 'room-help', class: 'status' }, 'Letters, digits, dots, dashes. Share the link to invite others.'),
  h('button', { class: 'primary', type: 'submit' }, 'Start meeting'), accountBar('/')));
}

async function prejoin(room: string): Promise<void> {
  const preview = h('video', { autoplay: true, muted: true, playsinline: true, 'aria-label': 'Your camera preview' });
  const name = h('input', { id: 'display-name', value: localStorage.getItem('displayName') ?? signedInUser(room)?.name ?? '', placeholder: 'Your name', required: true, autocomplete: 'name' });
  const cams = h('select', { id: 'camera', 'aria-label': 'Camera' });
  const mics = h('select', { id: 'microphone', 'aria-label': 'Microphone' });
  const password = h('input', { id: 'room-password', type: 'password', placeholder: 'Room password (if locked)', autocomplete: 'off' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  let stream = new MediaStream();
  const open = async () => {
    for (const t of stream.getTracks()) t.stop();
    try {
      stream = await navigator.mediaDevices.getUserMedia({
        audio: mics.value ? { deviceId: { exact: mics.value } } : true,
        video: { ...(cams.value ? { deviceId: { exact: cams.value } } : {}), width: 640, height: 360 },
      });
      preview.srcObject = stream;
      error.hidden = true;
    } catch (err) {
      error.textContent = `Camera or microphone unavailable (${(err as Error).name}). You can still join to listen and chat.`;
      error.hidden = false;
    }
  };
  await open();
  const devices = await navigator.mediaDevices.enumerateDevices();
  for (const d of devices) {
    const opt = h('option', { value: d.deviceId }, d.label || d.kind);
    if (d.kind === 'videoinput') cams.append(opt);
    if (d.kind === 'audioinput') mics.append(opt);
  }
  cams.addEventListener('change', () => void open());
  mics.addEventListener('change', () => void open());
  app.replaceChildren(h('form', {
    class: 'prejoin', onsubmit: (ev: Event) => {
      ev.preventDefault();
      localStorage.setItem('displayName', name.value.trim());
      void enter(room, stream, name.value.trim(), password.value || undefined);
    },
  }, h('h1', {}, room), preview, h('label', { for: 'display-name' }, 'Display name', name),
  h('div', { class: 'row' }, h('label', {}, 'Camera', cams), h('label', {}, 'Microphone', mics)),
  h('label', { for: 'room-password' }, 'Password', password), error,
  h('button', { class: 'primary', type: 'submit', id: 'join' }, 'Join meeting'), accountBar(`/${room}`, room)));
  name.focus();
}

async function enter(room: string, stream: MediaStream, displayName: string, password?: string): Promise<void> {
  const status = h('p', { class: 'status', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert', hidden: true });
  const grid = h('section', { class: 'grid', 'aria-label': 'Participants\' video' });
  const people = h('ul', { 'aria-label': 'Participants' });
  const chatLog = h('ul', { 'aria-label': 'Chat messages', id: 'chat-log' });
  const chatInput = h('input', { id: 'chat-input', placeholder: 'Message everyone', 'aria-label': 'Chat message', autocomplete: 'off' });
  const side = h('aside', { class: 'side', hidden: true }, h('h2', {}, 'Participants'), people,
    h('div', {}, h('h2', {}, 'Chat'), chatLog,
      h('form', { onsubmit: (ev: Event) => { ev.preventDefault(); if (chatInput.value.trim()) meeting.sendChat(chatInput.value.trim()); chatInput.value = ''; } },
        chatInput, h('button', { type: 'submit' }, 'Send'))));
  let dominant = '';
  const tiles = new Map<string, HTMLElement>();
  const localTile = h('div', { class: 'tile', dataset: { id: 'local' } }, h('video', { autoplay: true, muted: true, playsinline: true }), h('span', { class: 'name' }, `${displayName} (you)`), h('div', { class: 'flags' }));
  (localTile.querySelector('video') as HTMLVideoElement).srcObject = stream;

  const render = (list: Participant[]) => {
    for (const [id, tile] of tiles) if (!list.some((p) => p.id === id)) { tile.remove(); tiles.delete(id); }
    for (const p of list) {
      let tile = tiles.get(p.id);
      if (!tile) {
        tile = h('div', { class: 'tile', dataset: { id: p.id } }, h('video', { autoplay: true, playsinline: true }), h('span', { class: 'name' }), h('div', { class: 'flags' }));
        tiles.set(p.id, tile);
        grid.append(tile);
      }
      const video = tile.querySelector('video')!;
      // Compared by object, not id: after a move to another media node the new session's tracks
      // carry the same ids (same msid) as the old, ended ones.
      const current = (video.srcObject as MediaStream | null)?.getTracks() ?? [];
      if (current.length !== p.tracks.length || p.tracks.some((t) => !current.includes(t))) video.srcObject = new MediaStream(p.tracks);
      tile.querySelector('.name')!.textContent = p.name;
      tile.classList.toggle('speaking', p.id === dominant);
      tile.classList.toggle('large', p.id === dominant && list.length > 1);
      tile.querySelector('.flags')!.replaceChildren(
        p.audioMuted ? h('span', { class: 'mic-muted', title: 'Microphone off' }, '🔇') : '',
        p.videoMuted ? h('span', { class: 'cam-muted', title: 'Camera off' }, 'cam off') : '',
        p.videoType === 'desktop' ? h('span', { class: 'screen', title: 'Sharing a screen' }, 'screen') : '',
        p.handRaised ? h('span', { class: 'hand', title: 'Hand raised' }, '✋') : '',
        p.role === 'moderator' ? h('span', { class: 'moderator', title: 'Moderator' }, '★') : '');
    }
    people.replaceChildren(h('li', {}, `${displayName} (you)${meeting.isModerator ? ' ★' : ''}`), ...list.map((p) => h('li', { dataset: { id: p.id } }, p.name,
      meeting.isModerator ? h('span', { class: 'row' },
        h('button', { type: 'button', onclick: () => void meeting.muteParticipant(p.id), 'aria-label': `Mute ${p.name}` }, 'Mute'),
        h('button', { type: 'button', onclick: () => void meeting.grantModerator(p.id), 'aria-label': `Make ${p.name} a moderator` }, 'Moderator'),
        h('button', { type: 'button', onclick: () => void meeting.kick(p.id), 'aria-label': `Remove ${p.name}` }, 'Remove')) : '')));
    lockButton.hidden = !meeting.isModerator;
    lobby.element.hidden = !meeting.isModerator;
    recordButton.hidden = !meeting.isModerator;
    endButton.hidden = !meeting.canEndForAll;
    startMutedBox.hidden = !meeting.isModerator;
    polls.element.hidden = !meeting.canPoll;
    // Small tiles get small simulcast layers; the speaker on the large tile gets the full one.
    meeting.setReceiverConstraints(list.length >= 2 ? 180 : 360, list.length >= 2 && dominant ? dominant : undefined);
  };

  const meeting = new Meeting({ ...config, token: signedInUser(room)?.token }, room, { stream, name: displayName, audioMuted: false, videoMuted: false, videoType: 'camera', handRaised: false }, {
    participants: render,
    message: (m) => { chatLog.append(h('li', { class: m.self ? 'self' : '' }, h('strong', {}, `${m.name}: `), m.text)); side.hidden = false; },
    dominantSpeaker: (id) => { dominant = id; render([...meeting.participants.values()]); },
    mutedByFocus: (media) => {
      // Keep the toolbar honest: the toggle shows the mute the focus applied.
      document.getElementById(media === 'audio' ? 'mute-mic' : 'mute-cam')?.setAttribute('aria-pressed', 'true');
      status.textContent = media === 'audio' ? 'A moderator muted your microphone.' : 'A moderator turned your camera off.';
    },
    status: (text) => { status.textContent = text; },
    error: (code, text) => {
      error.textContent = text;
      error.hidden = false;
      error.dataset.code = code;
      if (code === 'connection-lost') void reconnect();
    },
    left: () => undefined,
    lobby: (state) => {
      lobby.update(state);
      if (state.knockers.length && meeting.isModerator) side.hidden = false;
    },
    waiting: (name) => waiting.show(name),
    polls: (list) => { polls.render(list); side.hidden = false; },
    startMutedPolicy: (policy) => {
      startAudio.checked = policy.audio;
      startVideo.checked = policy.video;
    },
    startedMuted: (media) => {
      document.getElementById(media === 'audio' ? 'mute-mic' : 'mute-cam')?.setAttribute('aria-pressed', 'true');
      status.textContent = media === 'audio' ? 'You joined with your microphone muted.' : 'You joined with your camera off.';
    },
    recording: (view) => {
      recIndicator.hidden = view.status === 'off';
      recIndicator.dataset.status = view.status;
      recIndicator.textContent = view.status === 'pending' ? 'REC starting…' : 'REC';
      recIndicator.title = view.status === 'on' && view.by ? `Recording started by ${view.by}` : 'Recording';
      recordButton.textContent = view.status === 'off' ? 'Record' : 'Stop recording';
      status.textContent = view.status === 'on' ? `Recording${view.by ? `, started by ${view.by}` : ''}.`
        : view.status === 'off' ? (view.failure ? `The recording stopped: the recorder failed (${view.failure}).` : 'The recording stopped.') : status.textContent;
    },
    ended: (reason) => {
      clearInterval(qualityTimer);
      clearInterval(statsTimer);
      app.replaceChildren(h('div', { class: 'home', id: 'meeting-ended' }, h('h1', {}, 'The meeting has ended'),
        h('p', { class: 'status', role: 'status', id: 'ended-reason' }, reason),
        h('a', { class: 'button', href: '/' }, 'Back to start')));
    },
  });
  (window as unknown as { meeting: Meeting }).meeting = meeting;
  const lobby = lobbyPanel(h, meeting.lobby, (text) => { error.textContent = text; error.hidden = false; });
  const waiting = waitingScreen(h);
  side.prepend(lobby.element);
  // Closing or reloading the tab leaves the room at once; otherwise the resumable session would
  // keep a ghost participant until the server gives up on it.
  window.addEventListener('pagehide', () => meeting.leave());

  const toggle = (label: string, id: string, on: (pressed: boolean) => void) => {
    const b = h('button', { type: 'button', id, 'aria-pressed': 'false' }, label);
    b.addEventListener('click', () => { const next = b.getAttribute('aria-pressed') !== 'true'; b.setAttribute('aria-pressed', String(next)); on(next); });
    return b;
  };
  let camera: MediaStreamTrack | undefined = stream.getVideoTracks()[0];
  const share = toggle('Share screen', 'share', (on) => void (async () => {
    try {
      if (on) {
        const screen = await navigator.mediaDevices.getDisplayMedia({ video: true });
        const track = screen.getVideoTracks()[0]!;
        camera = stream.getVideoTracks()[0];
        track.addEventListener('ended', () => { if (share.getAttribute('aria-pressed') === 'true') share.click(); });
        await meeting.replaceVideo(track, 'desktop');
      } else if (camera) {
        await meeting.replaceVideo(camera, 'camera');
      }
    } catch (err) {
      share.setAttribute('aria-pressed', 'false');
      error.textContent = `Screen sharing failed (${(err as Error).name}).`;
      error.hidden = false;
    }
  })());
  const lockButton = h('button', { type: 'button', id: 'lock', hidden: true, onclick: () => {
    const pw = prompt('Room password (empty to unlock)');
    if (pw !== null) void meeting.setPassword(pw);
  } }, 'Password');
  const endButton = h('button', { type: 'button', id: 'end-for-all', class: 'leave', hidden: true, onclick: () => {
    if (confirm('End the meeting for everyone?')) meeting.endForAll();
  } }, 'End meeting for all');
  const polls = pollsPanel(meeting);
  polls.element.hidden = true;
  // Moderators decide who starts muted from now on (the room metadata's startMuted; the focus enforces it).
  const startAudio = h('input', { type: 'checkbox', id: 'start-audio-muted' });
  const startVideo = h('input', { type: 'checkbox', id: 'start-video-muted' });
  const setPolicy = () => meeting.setStartMutedPolicy({ audio: startAudio.checked, video: startVideo.checked });
  startAudio.addEventListener('change', setPolicy);
  startVideo.addEventListener('change', setPolicy);
  const startMutedBox = h('fieldset', { id: 'start-muted', hidden: true }, h('legend', {}, 'Newcomers start'),
    h('label', {}, startAudio, ' with microphone muted'), h('label', {}, startVideo, ' with camera off'));
  side.append(polls.element, startMutedBox);
  // Recording: REC for everyone, Record / Stop recording for moderators (errors worded as jitsi-meet's).
  const recIndicator = h('span', { id: 'rec-indicator', class: 'rec', role: 'status', hidden: true }, 'REC');
  const recordButton = h('button', { type: 'button', id: 'record', hidden: true, onclick: () => {
    const running = meeting.recording.view.status !== 'off';
    (running ? meeting.recording.stop() : meeting.recording.start()).catch((err: unknown) => {
      error.textContent = recordingError(err);
      error.dataset.code = 'recording';
      error.hidden = false;
    });
  } }, 'Record');
  // Speaking time per participant (the speaker stats component tells a latecomer what came before).
  const speakerList = h('ol', { id: 'speaker-stats', 'aria-label': 'Speaking time' });
  const statsTimer = setInterval(() => {
    if (side.hidden) return;
    speakerList.replaceChildren(...meeting.speakerTimes().map((t) => h('li', { dataset: { id: t.id } }, `${t.name}: ${Math.round(t.ms / 1000)} s`)));
  }, 1000);
  side.append(h('div', {}, h('h2', {}, 'Speaking time'), speakerList));
  const quality = h('span', { id: 'quality', class: 'quality', role: 'status', 'aria-label': 'Connection quality' }, '');
  const qualityTimer = setInterval(() => void meeting.quality().then((q) => {
    quality.textContent = q === 'unknown' ? '' : `Connection: ${q}`;
    quality.dataset.quality = q;
  }), 2000);
  window.addEventListener('pagehide', () => { clearInterval(qualityTimer); clearInterval(statsTimer); });
  const reconnect = async () => {
    for (let attempt = 1; attempt <= 5; attempt++) {
      status.textContent = `Reconnecting (attempt ${attempt})…`;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
      try {
        meeting.leave();
        meeting.joinedAt = 0;
        await meeting.join(password);
        error.hidden = true;
        return;
      } catch { /* next attempt */ }
    }
    status.textContent = 'Could not reconnect. Reload the page to try again.';
  };

  app.replaceChildren(h('div', { class: 'room' },
    h('div', { class: 'stage' }, h('div', { class: 'main' }, status, error, waiting.element, grid), side),
    h('nav', { class: 'toolbar', 'aria-label': 'Meeting controls' },
      toggle('Mute', 'mute-mic', (on) => meeting.setAudioMuted(on)),
      toggle('Stop camera', 'mute-cam', (on) => meeting.setVideoMuted(on)),
      share,
      toggle('Raise hand', 'raise-hand', (on) => meeting.setHandRaised(on)),
      h('button', { type: 'button', id: 'toggle-side', onclick: () => { side.hidden = !side.hidden; } }, 'Chat & people'),
      lockButton,
      recordButton,
      recIndicator,
      quality,
      endButton,
      h('button', { type: 'button', class: 'leave', id: 'leave', onclick: () => { meeting.leave(); location.assign('/'); } }, 'Leave'))));
  grid.append(localTile);
  // A guest arriving before the host (secure domain): the focus says not-authorized; wait and ask again, as jitsi-meet does.
  for (;;) {
    try {
      await meeting.join(password);
      return;
    } catch (err) {
      if (!(err instanceof XmppError && err.condition === 'not-authorized')) {
        error.textContent = `Could not connect: ${(err as Error).message}`;
        error.hidden = false;
        return;
      }
      status.replaceChildren('Waiting for the host to start the meeting… ',
        loginAvailable(config) ? h('a', { id: 'host-log-in', href: logInUrl(`/${room}`) }, 'I am the host: log in') : '');
      meeting.leave();
      await new Promise((r) => setTimeout(r, 5000));
    }
  }
}

const path = decodeURIComponent(location.pathname.slice(1)).toLowerCase();
if (/^[a-z0-9._-]{1,64}$/.test(path)) void prejoin(path);
else home();
