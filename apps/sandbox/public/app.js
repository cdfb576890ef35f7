// The sandbox chat page: plain DOM, no build step. Everything the user does goes to the sandbox API,
// which drives the WhatsApp simulator; everything the bot does comes back over one SSE stream.

const $ = (selector) => document.querySelector(selector);

const state = {
  users: new Map(),
  messages: new Map(), // id → message
  current: localStorage.getItem('sandbox.currentUser') || null,
  pendingList: null,
  optedOut: new Set(),
};

/** Creates an element with attributes and children (strings become text: never HTML). */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

async function api(path, options = {}) {
  const response = await fetch(path, {
    ...options,
    headers:
      options.body instanceof Blob ? { 'content-type': options.body.type } : { 'content-type': 'application/json' },
    body: options.body instanceof Blob ? options.body : options.body ? JSON.stringify(options.body) : undefined,
  });
  if (!response.ok) {
    const detail = await response.json().catch(() => ({}));
    throw new Error(detail.message || detail.error || `HTTP ${response.status}`);
  }
  return response.status === 204 ? null : response.json();
}

/** Only http(s) and same-origin URLs become links or media sources (never `javascript:`). */
function safeUrl(url) {
  return typeof url === 'string' && (/^https?:\/\//i.test(url) || url.startsWith('/')) ? url : undefined;
}

function toast(message) {
  const log = $('#messages');
  log.append(h('li', { class: 'typing', role: 'status' }, message));
  log.scrollTop = log.scrollHeight;
}

// ---------------------------------------------------------------- users

function renderUsers() {
  const list = $('#user-list');
  list.replaceChildren(
    ...[...state.users.values()].map((user) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            'aria-current': user.phone === state.current ? 'true' : 'false',
            onclick: () => selectUser(user.phone),
          },
          h('span', {}, user.name),
          h('span', { class: 'phone' }, `+${user.phone}`),
          state.optedOut.has(user.phone) ? h('span', { class: 'badge opted-out' }, 'opted out') : null,
        ),
      ),
    ),
  );
}

function selectUser(phone) {
  state.current = phone;
  localStorage.setItem('sandbox.currentUser', phone);
  const user = state.users.get(phone);
  $('#chat-title').textContent = user ? `${user.name} (+${phone})` : `+${phone}`;
  $('#users-panel').classList.remove('open');
  $('#toggle-users').setAttribute('aria-expanded', 'false');
  renderUsers();
  stickToBottom = true;
  renderMessages();
  $('#composer-text').focus();
}

$('#new-user').addEventListener('submit', async (event) => {
  event.preventDefault();
  const phone = $('#new-phone').value.replace(/\D/g, '');
  const name = $('#new-name').value.trim() || undefined;
  try {
    const user = await api('/api/users', { method: 'POST', body: { phone, name } });
    state.users.set(user.phone, user);
    event.target.reset();
    selectUser(user.phone);
  } catch (error) {
    alert(`Could not add the user: ${error.message}`);
  }
});

// ---------------------------------------------------------------- messages

const TICKS = { sent: '✓', delivered: '✓✓', read: '✓✓', failed: '⚠' };

function time(iso) {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function media(message) {
  const url = safeUrl(message.mediaUrl);
  if (!url) return null;
  if (message.kind === 'image' || message.kind === 'sticker') {
    return h('img', {
      src: url,
      alt: message.caption || (message.direction === 'in' ? 'Your photo' : 'Image from the bot'),
      loading: 'lazy',
    });
  }
  if (message.kind === 'video')
    return h('video', {
      src: url,
      controls: true,
      playsinline: true,
      preload: 'metadata',
      'aria-label': message.caption || 'Video from the bot',
    });
  return h('a', { href: url, target: '_blank', rel: 'noopener' }, `Open ${message.kind}`);
}

function headerOf(message) {
  const header = message.header;
  if (!header) return null;
  if (header.imageUrl) return h('img', { src: safeUrl(header.imageUrl), alt: 'Header image', onload: keepBottom });
  if (header.videoUrl) return h('video', { src: safeUrl(header.videoUrl), controls: true, preload: 'metadata' });
  if (header.text) return h('div', { class: 'header-text', dir: 'auto' }, header.text);
  return null;
}

function choicesOf(message) {
  if (message.kind === 'buttons' && message.buttons?.length) {
    return h(
      'div',
      { class: 'choices', role: 'group', 'aria-label': 'Reply buttons' },
      message.buttons.map((button) =>
        h(
          'button',
          { type: 'button', dir: 'auto', 'data-id': button.id, onclick: () => reply('button', button) },
          button.title,
        ),
      ),
    );
  }
  if (message.kind === 'list' && message.list) {
    return h(
      'div',
      { class: 'choices' },
      h(
        'button',
        { type: 'button', dir: 'auto', 'aria-haspopup': 'dialog', onclick: () => openList(message) },
        `☰ ${message.list.button}`,
      ),
    );
  }
  if (message.kind === 'cta' && message.cta) {
    return h(
      'div',
      { class: 'choices' },
      h(
        'a',
        { href: safeUrl(message.cta.url), target: '_blank', rel: 'noopener', dir: 'auto', class: 'cta' },
        `↗ ${message.cta.text}`,
      ),
    );
  }
  return null;
}

function choiceIds(message) {
  const buttons = (message.buttons || []).map((b) => b.id);
  const rows = (message.list?.sections || []).flatMap((s) => s.rows.map((r) => r.id));
  return [...buttons, ...rows];
}

// Follow new messages while the user is at the bottom; stop following once they scroll up to read.
let stickToBottom = true;
$('#messages').addEventListener('scroll', (event) => {
  const log = event.currentTarget;
  stickToBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
});

/** Media that loads after render grows the log: stay at the bottom if the user was there. */
function keepBottom() {
  if (stickToBottom) $('#messages').scrollTop = $('#messages').scrollHeight;
}

function renderMessage(message) {
  const quoted = message.contextId ? state.messages.get(message.contextId) : null;
  const reactions = message.reactions || [];
  return h(
    'li',
    {
      class: `message ${message.direction} kind-${message.kind}${reactions.length ? ' has-reaction' : ''}`,
      'data-id': message.id,
      'data-kind': message.kind,
      'data-choices': choiceIds(message).join(' ') || undefined,
    },
    quoted
      ? h(
          'div',
          { class: 'quote', dir: 'auto' },
          quoted.text || quoted.caption || (quoted.kind === 'image' ? '📷 Photo' : quoted.kind),
        )
      : null,
    message.replyTo ? h('div', { class: 'reply-to' }, 'Selected') : null,
    headerOf(message),
    media(message),
    message.text ? h('div', { class: 'text', dir: 'auto' }, message.text) : null,
    message.caption ? h('div', { class: 'text', dir: 'auto' }, message.caption) : null,
    message.footer ? h('div', { class: 'footer', dir: 'auto' }, message.footer) : null,
    h(
      'div',
      { class: 'meta' },
      h('time', { datetime: message.at }, time(message.at)),
      message.direction === 'in'
        ? h(
            'span',
            {
              class: `ticks ${message.status}`,
              'aria-label': message.status === 'read' ? 'Read by the bot' : message.status,
            },
            TICKS[message.status] || '',
          )
        : null,
    ),
    choicesOf(message),
    reactions.length
      ? h(
          'span',
          { class: 'reactions', 'aria-label': `Reactions: ${reactions.map((r) => r.emoji).join(' ')}` },
          reactions.map((r) => r.emoji).join(''),
        )
      : null,
  );
}

function conversation() {
  return [...state.messages.values()]
    .filter((m) => m.phone === state.current)
    .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

const rendered = new Map(); // id → { signature, element }: only changed messages are re-rendered

function renderMessages() {
  const log = $('#messages');
  const items = conversation();
  const elements = items.map((message) => {
    const quoted = message.contextId ? state.messages.get(message.contextId) : undefined;
    const { readSent: _readSent, ...shown } = message;
    const signature = JSON.stringify([shown, quoted?.text ?? quoted?.kind ?? null]);
    const previous = rendered.get(message.id);
    if (previous && previous.signature === signature) return previous.element;
    const element = renderMessage(message);
    rendered.set(message.id, { signature, element });
    return element;
  });
  const last = items[items.length - 1];
  if (last && last.direction === 'in' && last.typing)
    elements.push(h('li', { class: 'typing', role: 'status' }, 'typing…'));
  // Keep nodes that did not change in place, so assistive technology announces only what is new.
  elements.forEach((element, i) => {
    if (log.children[i] !== element) log.insertBefore(element, log.children[i] || null);
  });
  while (log.children.length > elements.length) log.lastChild.remove();
  if (stickToBottom || items.length < 3) log.scrollTop = log.scrollHeight;
  markRead(items);
}

/** Bot messages the user has seen are reported read, as WhatsApp would. */
function markRead(items) {
  if (document.visibilityState !== 'visible' || !state.current) return;
  for (const message of items) {
    if (message.direction === 'out' && message.status !== 'read' && !message.readSent) {
      message.readSent = true;
      api(`/api/users/${state.current}/read`, { method: 'POST', body: { messageId: message.id } }).catch(() => {});
    }
  }
}

document.addEventListener('visibilitychange', () => markRead(conversation()));

function requireUser() {
  if (state.current) return true;
  alert('Choose or create a user first.');
  $('#new-phone').focus();
  return false;
}

async function send(path, body) {
  if (!requireUser()) return;
  stickToBottom = true;
  try {
    const message = await api(`/api/users/${state.current}/${path}`, { method: 'POST', body });
    upsert(message);
  } catch (error) {
    toast(`Not sent: ${error.message}`);
  }
}

function reply(kind, choice) {
  return send(kind, { id: choice.id, title: choice.title });
}

// ---------------------------------------------------------------- list dialog

function openList(message) {
  const dialog = $('#list-dialog');
  $('#list-dialog-title').textContent = message.list.button;
  const sections = $('#list-sections');
  sections.replaceChildren(
    ...message.list.sections.map((section, s) =>
      h(
        'fieldset',
        {},
        section.title ? h('legend', {}, section.title) : null,
        section.rows.map((row, r) =>
          h(
            'label',
            { class: 'list-row', dir: 'auto' },
            h('input', {
              type: 'radio',
              name: 'row',
              value: row.id,
              'data-title': row.title,
              required: true,
              checked: s === 0 && r === 0,
            }),
            h('span', {}, row.title, row.description ? h('small', {}, row.description) : null),
          ),
        ),
      ),
    ),
  );
  dialog.showModal();
  sections.querySelector('input')?.focus();
}

$('#list-form').addEventListener('submit', (event) => {
  const chosen = event.target.querySelector('input[name="row"]:checked');
  if (chosen) reply('list', { id: chosen.value, title: chosen.dataset.title });
});
$('#list-cancel').addEventListener('click', () => $('#list-dialog').close());

// ---------------------------------------------------------------- composer

const textarea = $('#composer-text');
$('#composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const text = textarea.value.trim();
  if (!text) return;
  textarea.value = '';
  textarea.style.height = '';
  send('text', { text });
});
textarea.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    $('#composer').requestSubmit();
  }
});
textarea.addEventListener('input', () => {
  textarea.style.height = 'auto';
  textarea.style.height = `${Math.min(textarea.scrollHeight, 128)}px`;
});

$('#photo-input').addEventListener('change', async (event) => {
  if (!requireUser()) return;
  for (const file of event.target.files) {
    try {
      upsert(await api(`/api/users/${state.current}/photo`, { method: 'POST', body: file }));
    } catch (error) {
      toast(`Photo not sent: ${error.message}`);
    }
  }
  event.target.value = '';
});

$('#open-samples').addEventListener('click', () => {
  if (requireUser()) $('#samples-dialog').showModal();
});

function renderSamples(samples) {
  $('#samples').replaceChildren(
    ...samples.map((sample) =>
      h(
        'li',
        {},
        h(
          'button',
          {
            type: 'button',
            'data-sample': sample.name,
            onclick: () => {
              $('#samples-dialog').close();
              send('sample', { name: sample.name });
            },
          },
          h('img', { src: sample.url, alt: '' }),
          `${sample.label}${sample.accepted ? '' : ' ✗'}`,
        ),
      ),
    ),
  );
}

// ---------------------------------------------------------------- timeline

const timelineEntries = [];

function ms(value) {
  if (value === undefined) return '';
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

function shortKey(key) {
  if (!key) return '—';
  return key.length > 14 ? `${key.slice(0, 6)}…${key.slice(-4)}` : key;
}

function renderTimelineEntry(entry) {
  const outcome = entry.kind === 'published' ? 'published' : entry.outcome;
  const retries = entry.deliveryCount > 1 ? ` · retry ${entry.deliveryCount - 1}` : '';
  const flow = entry.kind === 'published' ? `${entry.producer} → transport` : `${entry.producer} → ${entry.consumer}`;
  const detail =
    entry.kind === 'published'
      ? `key ${shortKey(entry.key)} · ${ms(entry.latencyMs)} after commit`
      : `key ${shortKey(entry.key)} · ${outcome} · ${ms(entry.latencyMs)} end-to-end · handler ${ms(entry.handlerMs)}${retries}`;
  return h(
    'li',
    {
      class: `${entry.kind} ${outcome}`,
      title: entry.error || entry.eventId,
      'data-type': entry.type,
      'data-seq': entry.seq,
    },
    h('span', { class: 'type' }, entry.type),
    h('span', { class: 'flow' }, flow),
    h('span', { class: 'detail' }, detail),
    entry.error ? h('span', { class: 'detail' }, `${entry.reason ? `${entry.reason}: ` : ''}${entry.error}`) : null,
  );
}

let counters = { retries: 0, deadLetters: 0 };

function renderCounters() {
  const handled = timelineEntries.filter((e) => e.outcome === 'handled').length;
  $('#counters').textContent =
    `${timelineEntries.length} entries · ${handled} handled · ${counters.retries} retries · ${counters.deadLetters} dead letters`;
}

const shownSeqs = new Set();

function addTimeline(entry, live = true) {
  // The stream opens before the initial state is read, so an entry may come both ways: show it once.
  if (shownSeqs.has(entry.seq)) return;
  shownSeqs.add(entry.seq);
  timelineEntries.push(entry);
  if (timelineEntries.length > 300) timelineEntries.shift();
  if (live) {
    if (entry.outcome === 'retry') counters.retries++;
    if (entry.outcome === 'dead_lettered') counters.deadLetters++;
  }
  const list = $('#timeline');
  const element = renderTimelineEntry(entry);
  // Newest first, by sequence, whichever way the entry arrived.
  const before = [...list.children].find((li) => Number(li.dataset.seq) < entry.seq);
  list.insertBefore(element, before || null);
  while (list.children.length > 300) list.lastChild.remove();
  renderCounters();
}

function renderServices(services) {
  $('#service-links').replaceChildren(
    ...services.map((s) =>
      h(
        'li',
        {},
        s.running
          ? [
              h('strong', {}, s.service),
              ' ',
              h('a', { href: s.health, target: '_blank', rel: 'noopener' }, 'health'),
              ' · ',
              h('a', { href: s.metrics, target: '_blank', rel: 'noopener' }, 'metrics'),
            ]
          : h('span', { class: 'down' }, `${s.service}: not running`),
      ),
    ),
  );
}

// ---------------------------------------------------------------- live updates

let renderQueued = false;
function upsert(message) {
  const previous = state.messages.get(message.id);
  // A POST's answer can arrive after a newer copy came over the stream: keep the newest.
  if (previous && (previous.rev ?? 0) > (message.rev ?? 0)) return;
  if (previous?.readSent) message.readSent = true;
  state.messages.set(message.id, message);
  if (!state.users.has(message.phone)) {
    state.users.set(message.phone, { phone: message.phone, name: message.phone });
    renderUsers();
  }
  if (message.phone === state.current && !renderQueued) {
    renderQueued = true;
    requestAnimationFrame(() => {
      renderQueued = false;
      renderMessages();
    });
  }
}

function connect() {
  const stream = new EventSource('/api/stream');
  stream.addEventListener('message', (event) => upsert(JSON.parse(event.data).message));
  stream.addEventListener('user', (event) => {
    const { phone, name } = JSON.parse(event.data);
    state.users.set(phone, { phone, name });
    renderUsers();
  });
  stream.addEventListener('timeline', (event) => addTimeline(JSON.parse(event.data)));
  stream.addEventListener('hello', () => document.body.setAttribute('data-connected', 'true'));
  stream.onerror = () => document.body.setAttribute('data-connected', 'false');
}

// ---------------------------------------------------------------- clock and opt-out

function renderClock(offsetHours) {
  $('#clock').textContent = offsetHours ? `WhatsApp clock +${offsetHours} h` : '';
}

async function refreshOptedOut() {
  const { users } = await api('/api/opted-out');
  const changed = users.length !== state.optedOut.size || users.some((phone) => !state.optedOut.has(phone));
  state.optedOut = new Set(users);
  if (changed) renderUsers();
}

$('#advance-clock').addEventListener('click', async () => {
  try {
    const { offsetHours } = await api('/api/clock/advance', { method: 'POST', body: { hours: 25 } });
    renderClock(offsetHours);
    toast('25 hours later: the 24-hour windows are closed. Pay or wait for portraits to see the template.');
  } catch (error) {
    toast(`Could not move the clock: ${error.message}`);
  }
});

async function load() {
  // Listen first, then read the state: nothing that happens in between is missed (revisions order them).
  connect();
  const initial = await api('/api/state');
  for (const user of initial.users) state.users.set(user.phone, user);
  const simulated = Object.entries(initial.simulated)
    .map(([name, yes]) => `${name}: ${yes ? 'simulated' : 'real'}`)
    .join(' · ');
  $('#simulated').textContent = simulated;
  if (!initial.simulated.whatsapp) {
    // A real WhatsApp number: users chat from their phones; the page only watches.
    for (const control of document.querySelectorAll('#composer button, #composer textarea, #photo-input'))
      control.disabled = true;
    $('#chat-subtitle').textContent =
      'WhatsApp is real here: chat from a phone; the event timeline still shows everything';
  }
  renderServices(initial.services);
  renderSamples(initial.samples);
  state.optedOut = new Set(initial.optedOut ?? []);
  if (initial.clock) {
    $('#advance-clock').hidden = false;
    renderClock(initial.clock.offsetHours);
  }
  setInterval(() => refreshOptedOut().catch(() => {}), 3000);
  // The server's totals cover everything up to its snapshot; add what streamed in after it.
  const snapshotSeq = initial.timeline.reduce((max, e) => Math.max(max, e.seq), 0);
  const later = timelineEntries.filter((e) => e.seq > snapshotSeq);
  counters = {
    retries: initial.counters.retries + later.filter((e) => e.outcome === 'retry').length,
    deadLetters: initial.counters.deadLetters + later.filter((e) => e.outcome === 'dead_lettered').length,
  };
  for (const entry of initial.timeline) addTimeline(entry, false);
  for (const user of initial.users) {
    for (const message of await api(`/api/users/${user.phone}/messages`)) {
      const known = state.messages.get(message.id);
      if (!known || (known.rev ?? 0) <= (message.rev ?? 0)) state.messages.set(message.id, message);
    }
  }
  renderUsers();
  if (state.current && state.users.has(state.current)) selectUser(state.current);
  else state.current = null;
}

$('#hide-sends').addEventListener('change', (event) => {
  $('#timeline').classList.toggle('hide-sends', event.target.checked);
});

for (const [button, panel] of [
  ['#toggle-users', '#users-panel'],
  ['#toggle-timeline', '#timeline-panel'],
]) {
  $(button).addEventListener('click', () => {
    const open = $(panel).classList.toggle('open');
    $(button).setAttribute('aria-expanded', String(open));
  });
}

load().catch((error) => toast(`Could not load the sandbox: ${error.message}`));
