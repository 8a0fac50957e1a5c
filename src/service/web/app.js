// The kontext web app: sessions over the service's JSON API (no framework, no build step).
//
//   pick or drop images → type an instruction → Enter → POST sessions/:id/turns (a job) → its events over SSE
//   (queued, started, step n/N, done) → the session is reloaded: the timeline gets the turn, the stage shows it.
//
// State lives on the server: the page only remembers which session it shows (in the URL: #session=<name>) and a
// job it is waiting for (localStorage), so a reload — or another tab — finds the same session and resumes
// following a running edit.

import { api, ApiError, followJob, imageUrl, toUpload } from './api.js';
import { createCompare } from './compare.js';
import { describeMadeAs, describeTurn, describeUnshown, referenceCount, renderTimeline } from './timeline.js';

const $ = (/** @type {string} */ id) => /** @type {any} */ (document.getElementById(id));

const el = {
  model: $('model'),
  sessionSelect: $('session-select'),
  newSession: $('new-session'),
  stageTitle: $('stage-title'),
  stageEmpty: $('stage-empty'),
  stageActions: $('stage-actions'),
  download: $('download'),
  reuse: $('reuse'),
  params: $('turn-params'),
  form: $('edit-form'),
  drop: $('drop'),
  fileInput: $('file-input'),
  dropHint: $('drop-hint'),
  picks: $('picks'),
  startOverLabel: $('start-over-label'),
  startOver: $('start-over'),
  instruction: $('instruction'),
  seed: $('seed'),
  steps: $('steps'),
  guidance: $('guidance'),
  candidates: $('candidates'),
  retries: $('retries'),
  width: $('width'),
  height: $('height'),
  submit: $('submit'),
  cancel: $('cancel'),
  progress: $('progress'),
  progressBar: $('progress-bar'),
  progressText: $('progress-text'),
  error: $('error'),
  note: $('note'),
  undo: $('undo'),
  timeline: $('timeline'),
  announce: $('announce'),
};

const compare = createCompare({
  box: $('compare'),
  before: $('before-img'),
  after: $('after-img'),
  control: $('compare-control'),
  range: $('compare-range'),
});

const state = {
  /** GET health: model name and limits */
  health: /** @type {any} */ (null),
  sessions: /** @type {any[]} */ ([]),
  /** GET sessions/:id — { session, current, turns } */
  detail: /** @type {any} */ (null),
  /** picked files, in order: the first is edited (at the start), the rest are references */
  picks: /** @type {{ file: File, url: string, transparent: number }[]} */ ([]),
  /** the job being followed */
  job: /** @type {{ id: string, session: string } | null} */ (null),
  /** an action (undo, branch, load) or the sending of an edit in flight */
  pending: false,
  /** an edit being sent (uploads, POST turns), before its job exists */
  sending: false,
  /** Enter was pressed while an action was in flight: the edit is sent once it ends */
  queued: false,
  /** the timeline entry to give the focus back to once it is drawn again (keyboard users keep their place) */
  refocus: /** @type {number | null} */ (null),
};

const sessionId = () => state.detail?.session.id ?? null;
const head = () => state.detail?.session.head ?? null;
const turnOf = (n) => state.detail?.turns.find((t) => t.n === n) ?? null;
const pendingKey = (id) => `kontext.job.${id}`;
const busy = () => state.job !== null || state.pending;

// ---- messages ------------------------------------------------------------------------------------------------

function showError(err) {
  el.error.textContent = err ? (err instanceof Error ? err.message : String(err)) : '';
  if (err instanceof Error && !(err instanceof ApiError)) console.error(err); // a bug, not a message of ours
}

/**
 * What the model makes of an instruction, shown beside the edit while it runs: the words it does not know (it will
 * read without meaning). A server that cannot tell, or an older one without the route, shows nothing.
 */
function checkPrompt(prompt) {
  const picks = picksNote();
  el.note.textContent = picks;
  // the images the edit gets: the head's output unless the picks start over, then the picks
  const images = (picksStartOver() ? 0 : 1) + state.picks.length;
  // and the instruction that made the head's output: "move it up" may name the shape that turn edited
  // (as the model read it, its edits: a chain of "it"s reads on, as src/session/editor.ts madeBy)
  const made = picksStartOver() ? null : turnOf(head());
  const previous = made ? (made.madeAs?.edits.join(' and ') ?? made.instruction) : undefined;
  // and its picture (stored, by hash): a shape named that it does not show is said, "the circle" named as it shows
  // (and the picture in colour it is the grey of, where the turn recorded it: the edit is made on that)
  const body = {
    prompt,
    images,
    ...(previous ? { previous } : {}),
    ...(made ? { image: made.output } : {}),
    ...(made?.color ? { color: made.color } : {}),
  };
  api('POST', 'prompts/check', body).then(
    (r) => {
      if (el.instruction.value.trim() === prompt || !el.instruction.value)
        el.note.textContent = [r.note ? `${r.note[0].toUpperCase()}${r.note.slice(1)}.` : '', picks]
          .filter(Boolean)
          .join(' ');
    },
    () => {},
  );
}

/**
 * What to say about the picked images themselves: the server drops alpha (as diffusers does), so the model sees
 * the colours stored under transparent pixels, which no viewer shows (often black).
 */
function picksNote() {
  return state.picks
    .filter((p) => p.transparent > 0)
    .map(
      (p) =>
        `${p.file.name} is ${p.transparent < 0.001 ? '< 0.1' : (100 * p.transparent).toFixed(1)} % transparent: ` +
        'the model sees the colours stored under its transparent pixels (often black), and the answer is opaque. ' +
        'Flatten it onto a background first if that is not what you want.',
    )
    .join(' ');
}

/** The share of an image file's pixels that are not opaque (0 when the browser cannot read it: the server says). */
async function transparentShare(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const canvas = document.createElement('canvas');
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height);
    let clear = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] < 255) clear++;
    return clear / (canvas.width * canvas.height);
  } catch {
    return 0;
  }
}

/** A polite screen-reader message for actions whose result is otherwise only visual. */
function announce(text) {
  el.announce.textContent = text;
}

/** Run an action that talks to the server: errors are shown, the UI is locked meanwhile. */
async function action(fn) {
  if (busy()) return;
  state.pending = true;
  renderControls();
  showError(null);
  el.progress.hidden = true; // the last edit's "Done" no longer describes what is shown
  try {
    await fn();
  } catch (err) {
    showError(err);
  } finally {
    state.pending = false;
    render();
  }
  if (state.queued) {
    state.queued = false;
    submit();
  }
}

// ---- sessions ------------------------------------------------------------------------------------------------

async function loadSessions() {
  state.sessions = await api('GET', 'sessions');
  const sel = el.sessionSelect;
  sel.replaceChildren();
  if (!state.sessions.length) sel.append(new Option('(no sessions yet)', ''));
  for (const s of state.sessions)
    sel.append(new Option(`${s.id} — ${s.turnCount} turn${s.turnCount === 1 ? '' : 's'}`, s.id));
  sel.value = sessionId() ?? '';
  sel.disabled = !state.sessions.length;
}

/** Show session `id` (and remember it in the URL). */
async function openSession(id) {
  state.detail = await api('GET', `sessions/${encodeURIComponent(id)}`);
  const url = new URL(location.href);
  url.hash = `session=${encodeURIComponent(id)}`;
  if (url.href !== location.href) history.replaceState(null, '', url);
  await loadSessions();
  render();
  resumeJob(id);
}

async function reloadSession() {
  const id = sessionId();
  if (id) state.detail = await api('GET', `sessions/${encodeURIComponent(id)}`);
  await loadSessions();
}

async function createSession() {
  const s = await api('POST', 'sessions', {});
  await openSession(s.id);
  announce(`New session ${s.id}`);
}

const sessionFromHash = () => {
  const m = /(?:^#|&)session=([^&]+)/.exec(location.hash);
  return m ? decodeURIComponent(m[1]) : null;
};

// ---- picking images ------------------------------------------------------------------------------------------

function addFiles(files) {
  const images = [...files].filter((f) => f.type.startsWith('image/') || f.type === '');
  if (!images.length) return showError('those are not images; pick PNG or JPEG files (WebP and GIF are converted)');
  const max = state.health?.limits.maxImages ?? 4;
  const room = max - state.picks.length;
  if (images.length > room)
    showError(`this server takes at most ${max} images per edit; ${images.length - Math.max(room, 0)} left out`);
  else showError(null);
  for (const file of images.slice(0, Math.max(room, 0))) {
    const pick = { file, url: URL.createObjectURL(file), transparent: 0 };
    state.picks.push(pick);
    transparentShare(file).then((share) => {
      pick.transparent = share;
      if (!busy()) el.note.textContent = picksNote();
    });
  }
  el.note.textContent = picksNote();
  render();
}

function removePick(i) {
  const [p] = state.picks.splice(i, 1);
  if (p) URL.revokeObjectURL(p.url);
  if (!busy()) el.note.textContent = picksNote();
  render();
}

function clearPicks() {
  for (const p of state.picks) URL.revokeObjectURL(p.url);
  state.picks = [];
  el.startOver.checked = false;
  el.fileInput.value = '';
}

/** The picks start a new root (rather than being references) at the start, or when asked to. */
const picksStartOver = () => head() === null || (el.startOver.checked && state.picks.length > 0);

// ---- editing -------------------------------------------------------------------------------------------------

/** A parameter field's value: undefined when blank; an error naming the field when it is not a valid number. */
function numberField(input, name, integer) {
  const raw = input.value.trim();
  if (raw === '') return undefined;
  const v = Number(raw);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < Number(input.min || 0)) {
    throw new ApiError(
      0,
      `${name} must be ${integer ? 'a whole number' : 'a number'} ≥ ${input.min || 0}, got '${raw}'`,
    );
  }
  return v;
}

const STILL_RUNNING = 'an edit is still running: wait for it, or press Esc to cancel it';

async function submit() {
  if (busy()) {
    // not dropped silently: an Enter while a session loads (or an undo runs) is sent when that ends; one while an
    // edit runs is answered (its own sending is already under way)
    if (state.job) showError(STILL_RUNNING);
    else if (!state.sending) state.queued = true;
    return;
  }
  showError(null);
  const instruction = el.instruction.value.trim();
  if (!instruction) {
    showError('type an instruction first, e.g. "make the circle blue"');
    el.instruction.focus();
    return;
  }
  state.pending = true;
  state.sending = true;
  renderControls();
  checkPrompt(instruction);
  try {
    const body = { instruction };
    const seed = numberField(el.seed, 'seed', true);
    const steps = numberField(el.steps, 'steps', true);
    const guidance = numberField(el.guidance, 'guidance', false);
    const candidates = numberField(el.candidates, 'best of', true);
    const retries = numberField(el.retries, 'retries', true);
    const width = numberField(el.width, 'width', true);
    const height = numberField(el.height, 'height', true);
    if (!sessionId()) await createSession();
    const id = /** @type {string} */ (sessionId());
    const startOver = picksStartOver();
    // Always say where the edit continues from, so it applies to what this page shows even if another tab moved
    // the head meanwhile (0 = start over from the picked images, or from text).
    body.from = startOver ? 0 : /** @type {number} */ (head());
    if (state.picks.length) body.images = await Promise.all(state.picks.map((p) => toUpload(p.file)));
    if (seed !== undefined) body.seed = seed;
    if (steps !== undefined) body.steps = steps;
    if (guidance !== undefined) body.guidance = guidance;
    if (candidates !== undefined) body.candidates = candidates;
    if (retries !== undefined) body.retries = retries;
    if (startOver && !state.picks.length) {
      if (width !== undefined) body.width = width;
      if (height !== undefined) body.height = height;
    }
    const job = await api('POST', `sessions/${encodeURIComponent(id)}/turns`, body);
    localStorage.setItem(pendingKey(id), job.id);
    state.pending = false;
    await runJob({ id: job.id, session: id }, true);
  } catch (err) {
    showError(err);
  } finally {
    state.pending = false;
    state.sending = false;
    render();
  }
}

/** Follow a job to its end, showing its progress; then reload the session. */
async function runJob(job, fresh) {
  state.job = job;
  el.progress.hidden = false;
  el.progressBar.value = 0;
  el.progressBar.max = 1;
  setProgress('Submitted…');
  render();
  const t0 = performance.now();
  let final;
  try {
    final = await followJob(job.id, (e) => {
      if (e.type === 'queued')
        setProgress(
          e.position > 1
            ? `Waiting: ${e.position - 1} edit${e.position === 2 ? '' : 's'} ahead`
            : 'Waiting: next to run',
        );
      else if (e.type === 'started') setProgress('Started…');
      else if (e.type === 'step') {
        el.progressBar.max = e.total;
        el.progressBar.value = e.step;
        setProgress(`Step ${e.step} of ${e.total}`);
      }
    });
  } catch (err) {
    // the job is unknown to the server (e.g. it restarted): nothing to wait for
    final = { type: 'failed', error: err instanceof Error ? err.message : String(err) };
  }
  localStorage.removeItem(pendingKey(job.session));
  state.job = null;
  if (el.error.textContent === STILL_RUNNING) showError(null); // it no longer is
  if (final.type === 'done') {
    el.progressBar.max = 1;
    el.progressBar.value = 1;
    const t = final.result.turn;
    // an edit no try's answer showed all of, as the editor reads it: said beside the time
    const unshown = describeUnshown(final.result.unshown);
    const note = unshown ? `; ${unshown} (another seed, or more retries, may make it)` : '';
    setProgress(`Done: turn ${t?.n ?? ''} in ${((performance.now() - t0) / 1000).toFixed(1)} s${note}`);
    if (fresh) {
      el.instruction.value = '';
      clearPicks();
    }
  } else if (final.type === 'cancelled') {
    setProgress('Cancelled');
  } else {
    setProgress('Failed');
    showError(final.error);
  }
  if (sessionId() === job.session) await reloadSession().catch(showError);
  render();
}

function setProgress(text) {
  el.progressText.textContent = text;
}

/** After a reload: keep following the edit this page had started in this session. */
function resumeJob(id) {
  const jobId = localStorage.getItem(pendingKey(id));
  if (jobId && !state.job) runJob({ id: jobId, session: id }, false).catch(showError);
}

async function cancelJob() {
  if (!state.job) return;
  setProgress('Cancelling…');
  try {
    await api('DELETE', `jobs/${encodeURIComponent(state.job.id)}`);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 409)) showError(err); // 409: it finished meanwhile
  }
}

// ---- history -------------------------------------------------------------------------------------------------

const undo = () =>
  action(async () => {
    const id = sessionId();
    if (!id || head() === null) return;
    const from = head();
    await api('POST', `sessions/${encodeURIComponent(id)}/undo`);
    await reloadSession();
    announce(`Undid turn ${from}; ${head() === null ? 'back at the start' : `turn ${head()} is the head`}`);
  });

const branch = (n) => {
  state.refocus = n;
  return action(async () => {
    const id = sessionId();
    if (!id || (n === 0 ? head() === null : n === head())) return;
    await api('POST', `sessions/${encodeURIComponent(id)}/branch`, { turn: n });
    await reloadSession();
    announce(
      n === 0
        ? 'Back at the start: the next edit starts over'
        : `Turn ${n} is the head: the next edit continues from it`,
    );
  });
};

function reuse() {
  const t = turnOf(head());
  if (!t) return;
  el.seed.value = String(t.seed);
  el.steps.value = t.steps === null ? '' : String(t.steps);
  el.guidance.value = t.guidance === null ? '' : String(t.guidance);
  el.candidates.value = t.candidates == null ? '' : String(t.candidates);
  el.retries.value = t.retries == null ? '' : String(t.retries);
  el.seed.closest('details').open = true;
  announce(`Seed ${t.seed} and the parameters of turn ${t.n} are set for the next edit`);
}

// ---- rendering -----------------------------------------------------------------------------------------------

function renderControls() {
  const b = busy();
  el.form.dataset.state = state.job ? 'running' : b ? 'pending' : 'idle';
  el.submit.disabled = b;
  el.cancel.hidden = !state.job;
  el.undo.disabled = b || head() === null;
  el.newSession.disabled = b;
  el.sessionSelect.disabled = b || !state.sessions.length;
  for (const button of el.timeline.querySelectorAll('button')) button.disabled = b;
}

function renderStage() {
  const t = turnOf(head());
  el.params.replaceChildren();
  if (t) {
    el.stageTitle.textContent = `Turn ${t.n}: ${t.instruction}`;
    el.stageEmpty.hidden = true;
    const before = t.inputs[0] ?? null;
    compare.show({
      after: imageUrl(t.output),
      afterAlt: `After: the output of turn ${t.n}, "${t.instruction}"`,
      before: before && imageUrl(before),
      beforeAlt: `Before: the image turn ${t.n} edited`,
      width: t.width,
      height: t.height,
    });
    el.stageActions.hidden = false;
    el.download.href = imageUrl(t.output);
    el.download.download = `${t.session}-turn${t.n}.png`;
    const rows = [
      ['Seed', String(t.seed)],
      ['Steps', t.steps === null ? '—' : String(t.steps)],
      ['Guidance', t.guidance === null ? '—' : String(t.guidance)],
      ['Best of', t.candidates == null ? '—' : String(t.candidates)],
      ['Retries', t.retries == null ? '—' : String(t.retries)],
      ['Size', `${t.width}×${t.height}`],
      ['Model', t.model],
      ['Time', `${t.seconds.toFixed(2)} s`],
      ['From', t.parent === null ? (t.inputs.length ? 'the picked image' : 'text') : `turn ${t.parent}`],
      ['References', String(referenceCount(t))],
      ...(t.madeAs ? [['Made as', describeMadeAs(t.madeAs)]] : []),
      ...(t.unshown ? [['Not shown', describeUnshown(t.unshown)]] : []),
    ];
    for (const [k, v] of rows) {
      const pair = document.createElement('div'); // a <div> may group a <dt> with its <dd>
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      pair.append(dt, dd);
      if (k === 'Made as' || k === 'Not shown') pair.className = 'wide';
      el.params.append(pair);
    }
    el.params.hidden = false;
    el.params.setAttribute('aria-label', `Turn ${t.n}: ${describeTurn(t)}`);
  } else {
    el.stageActions.hidden = true;
    el.params.hidden = true;
    const first = state.picks[0];
    el.stageTitle.textContent = state.detail ? `${state.detail.session.id}: start` : 'Start';
    if (first) {
      el.stageEmpty.hidden = true;
      // the natural size is only known once the preview has loaded
      const img = new Image();
      img.onload = () =>
        state.picks[0] === first &&
        !turnOf(head()) &&
        compare.show({
          after: first.url,
          afterAlt: `The picked image ${first.file.name}`,
          width: img.naturalWidth,
          height: img.naturalHeight,
        });
      img.src = first.url;
    } else {
      compare.hide();
      el.stageEmpty.hidden = false;
    }
  }
}

function renderPicks() {
  el.picks.replaceChildren();
  const root = picksStartOver();
  state.picks.forEach((p, i) => {
    const li = document.createElement('li');
    li.className = 'pick';
    const img = document.createElement('img');
    img.src = p.url;
    img.alt = '';
    const label = document.createElement('span');
    label.className = 'pick-label';
    const role = root && i === 0 ? 'to edit' : 'reference';
    label.textContent = `${p.file.name || `image ${i + 1}`} (${role})`;
    const rm = document.createElement('button');
    rm.type = 'button';
    rm.className = 'pick-remove';
    rm.textContent = '×';
    rm.setAttribute('aria-label', `Remove ${p.file.name || `image ${i + 1}`}`);
    rm.addEventListener('click', () => removePick(i));
    li.append(img, label, rm);
    el.picks.append(li);
  });
  el.startOverLabel.hidden = !(head() !== null && state.picks.length > 0);
  el.dropHint.textContent =
    head() === null
      ? 'The first image is the one to edit; more are references (e.g. a style). None: the instruction draws an image.'
      : `The next edit changes turn ${head()}'s image; images picked here are references (e.g. a style).`;
  el.submit.textContent = head() === null && !state.picks.length ? 'Draw' : 'Edit';
}

function render() {
  renderTimeline(el.timeline, state.detail, { onBranch: branch, busy: busy() });
  renderStage();
  renderPicks();
  renderControls();
  if (state.refocus !== null && !busy()) {
    el.timeline.querySelector(`li[data-turn="${state.refocus}"] button`)?.focus();
    state.refocus = null;
  }
}

// ---- wiring --------------------------------------------------------------------------------------------------

el.form.addEventListener('submit', (e) => {
  e.preventDefault();
  submit();
});
el.instruction.addEventListener('keydown', (e) => {
  // Enter submits; Shift+Enter is a new line; Enter that ends an IME composition is not a submit
  if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    submit();
  }
});
// the skip link focuses the instruction without replacing #session=... in the URL
document.querySelector('.skip')?.addEventListener('click', (e) => {
  e.preventDefault();
  el.instruction.focus();
});
el.cancel.addEventListener('click', cancelJob);
el.undo.addEventListener('click', undo);
el.reuse.addEventListener('click', reuse);
el.newSession.addEventListener('click', () => action(createSession));
el.sessionSelect.addEventListener('change', () => {
  const id = el.sessionSelect.value;
  if (id && id !== sessionId()) action(() => openSession(id));
});
el.startOver.addEventListener('change', () => render());
el.fileInput.addEventListener('change', () => {
  addFiles(el.fileInput.files ?? []);
  el.fileInput.value = ''; // so that picking the same file again is a change too
});

// drag and drop: anywhere on the drop zone (the whole page would steal drops meant for the browser's own UI)
for (const type of ['dragenter', 'dragover']) {
  el.drop.addEventListener(type, (e) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    el.drop.classList.add('dragging');
  });
}
el.drop.addEventListener('dragleave', (e) => {
  if (!el.drop.contains(e.relatedTarget)) el.drop.classList.remove('dragging');
});
el.drop.addEventListener('drop', (e) => {
  e.preventDefault();
  el.drop.classList.remove('dragging');
  addFiles(e.dataTransfer.files);
});
document.addEventListener('paste', (e) => {
  const files = e.clipboardData?.files;
  if (files?.length) {
    e.preventDefault();
    addFiles(files);
  }
});

const isTextField = (t) =>
  t instanceof HTMLTextAreaElement ||
  t?.isContentEditable ||
  (t instanceof HTMLInputElement && !['checkbox', 'radio', 'range', 'button', 'submit', 'file'].includes(t.type));

document.addEventListener('keydown', (e) => {
  // Ctrl/Cmd+Z undoes a turn — except in a text field, where it undoes typing as usual
  if ((e.ctrlKey || e.metaKey) && !e.shiftKey && !e.altKey && e.key.toLowerCase() === 'z' && !isTextField(e.target)) {
    e.preventDefault();
    undo();
  } else if (e.key === 'Escape' && state.job) {
    e.preventDefault();
    cancelJob();
  }
});
addEventListener('hashchange', () => {
  const id = sessionFromHash();
  if (id && id !== sessionId()) action(() => openSession(id));
});

async function start() {
  try {
    state.health = await api('GET', 'health');
    el.model.textContent = `model: ${state.health.model}`;
    el.steps.max = String(state.health.limits.maxSteps);
    el.candidates.max = String(state.health.limits.maxCandidates);
    el.retries.max = String(state.health.limits.maxRetries);
    await loadSessions();
    const wanted = sessionFromHash();
    const known = state.sessions.map((s) => s.id);
    if (wanted && !known.includes(wanted))
      showError(`there is no session '${wanted}' on this server; pick one or start a new one`);
    const id = wanted && known.includes(wanted) ? wanted : known.at(-1);
    if (id) await openSession(id);
  } catch (err) {
    el.model.textContent = 'not connected';
    showError(err);
  }
  render();
  document.documentElement.dataset.ready = 'true';
}

start();
