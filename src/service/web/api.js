// The service's JSON API, from the browser. Paths are relative to the page, so the app also works behind a proxy
// that serves the service under a prefix. Every error the service sends is {"error": "..."}; it becomes an
// ApiError with that message, which the app shows as it is (the service's messages say what to change).

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/**
 * One request; a body is sent as JSON. Resolves with the parsed answer, rejects with an ApiError.
 * @param {string} method @param {string} path @param {unknown} [body]
 */
export async function api(method, path, body) {
  let res;
  try {
    res = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'the server cannot be reached; is `kontext serve` still running?');
  }
  const type = res.headers.get('content-type') ?? '';
  const data = type.includes('json') ? await res.json().catch(() => null) : await res.text();
  if (!res.ok)
    throw new ApiError(
      res.status,
      (data && typeof data === 'object' && data.error) || `${method} ${path}: HTTP ${res.status}`,
    );
  return data;
}

/** @param {string} hash */
export const imageUrl = (hash) => `images/${hash}`;

const FINAL = ['done', 'failed', 'cancelled'];

/** A finished job's state as the event that ended it. */
function finalEventOf(job) {
  if (job.status === 'done') return { type: 'done', result: job.result };
  if (job.status === 'cancelled') return { type: 'cancelled', reason: job.error ?? 'cancelled' };
  return { type: 'failed', error: job.error ?? 'failed' };
}

/**
 * Follow a job's Server-Sent Events (GET jobs/:id/events) until its last one: `onEvent` sees each (queued,
 * started, step, ..., then done, failed or cancelled); resolves with the last. After a dropped connection the
 * browser reconnects by itself and the server resumes after the Last-Event-ID. If the stream cannot be opened at
 * all (e.g. the server restarted), the job is polled instead.
 * @param {string} id @param {(e: any) => void} onEvent
 * @returns {Promise<any>}
 */
export function followJob(id, onEvent) {
  return new Promise((resolve, reject) => {
    const es = new EventSource(`jobs/${encodeURIComponent(id)}/events`);
    let ended = false;
    const end = (e) => {
      if (ended) return;
      ended = true;
      es.close(); // otherwise EventSource would reconnect after the server ends the stream
      resolve(e);
    };
    for (const type of ['queued', 'started', 'step'])
      es.addEventListener(type, (m) => !ended && onEvent(JSON.parse(m.data)));
    for (const type of FINAL) {
      es.addEventListener(type, (m) => {
        if (ended) return;
        const e = JSON.parse(m.data);
        onEvent(e);
        end(e);
      });
    }
    es.onerror = () => {
      if (ended || es.readyState !== EventSource.CLOSED) return; // CONNECTING: the browser is retrying
      pollJob(id).then(
        (e) => {
          if (ended) return;
          onEvent(e);
          end(e);
        },
        (err) => {
          ended = true;
          reject(err);
        },
      );
    };
  });
}

/** Poll GET jobs/:id (once a second) until it has finished; its final event. */
async function pollJob(id) {
  for (;;) {
    const job = await api('GET', `jobs/${encodeURIComponent(id)}`);
    if (FINAL.includes(job.status)) return finalEventOf(job);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** @param {Blob} blob @returns {Promise<string>} a data: URL */
function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(/** @type {string} */ (r.result));
    r.onerror = () => reject(r.error ?? new Error('the file cannot be read'));
    r.readAsDataURL(blob);
  });
}

/**
 * A picked file as the API takes it: a data:image/png or image/jpeg URL. The service reads PNG and JPEG only, so
 * anything else the browser can decode (WebP, GIF, ...) is re-encoded as PNG here.
 * @param {File} file
 */
export async function toUpload(file) {
  if (file.type === 'image/png' || file.type === 'image/jpeg') return dataUrl(file);
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    throw new ApiError(0, `${file.name || 'the file'} is not an image this browser can read (use PNG or JPEG)`);
  }
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  canvas.getContext('2d').drawImage(bitmap, 0, 0);
  bitmap.close();
  const png = await new Promise((resolve) => canvas.toBlob(resolve, 'image/png'));
  if (!png) throw new ApiError(0, `${file.name || 'the file'} could not be converted to PNG`);
  return dataUrl(png);
}
