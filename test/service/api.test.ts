// The happy paths of the JSON API with the identity model: health, generate, edit (PNG, JPEG, data: URL), images,
// and a whole session (create, turns, undo, branch, show, list); best of n and what the model made of a prompt with a tiny kontext-mini.
import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserError } from '../../src/errors.ts';
import { readImage } from '../../src/image/rgb.ts';
import { namedStylePrompt, STYLE_REFERENCE_NOTE } from '../../src/mini/style-reference.ts';
import { GREY_PICTURE_NOTE, worldGray } from '../../src/mini/world-light.ts';
import { STYLES } from '../../src/world/shapes.ts';
import { tinyModelDir } from '../mini/tiny.ts';
import { b64png, call, finished, solid, startTestService, type TestService } from './helpers.ts';

let s: TestService;
beforeAll(async () => void (s = await startTestService()));
afterAll(async () => s.dispose());

/** Submit, expect 202 + Location, wait for the end; the finished job. */
async function run(path: string, body: unknown) {
  const r = await call(s, 'POST', path, body);
  expect(r.status, JSON.stringify(r.body)).toBe(202);
  expect(r.headers.get('location')).toBe(`/jobs/${r.body.id}`);
  expect(['queued', 'running']).toContain(r.body.status);
  return finished(s, r.body.id);
}

async function image(hash: string) {
  const r = await fetch(`${s.url}/images/${hash}`);
  expect(r.status).toBe(200);
  expect(r.headers.get('content-type')).toBe('image/png');
  expect(r.headers.get('cache-control')).toContain('immutable');
  expect((await fetch(`${s.url}/images/${hash}`, { headers: { 'if-none-match': `"${hash}"` } })).status).toBe(304);
  return readImage(new Uint8Array(await r.arrayBuffer()));
}

describe('service API', () => {
  it('GET /health says ok, names the model and shows the queue and limits', async () => {
    const r = await call(s, 'GET', '/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: 'ok',
      model: 'identity',
      queue: { queued: 0, running: 0, maxQueue: 16, concurrency: 1, accepting: true },
      limits: { maxSteps: 50 },
    });
    expect(Object.keys(r.body.limits).sort()).toEqual([
      'maxBodyBytes',
      'maxCandidates',
      'maxImages',
      'maxPixels',
      'maxPromptChars',
      'maxQueue',
      'maxRetries',
      'maxSteps',
    ]);
  });

  it('generate: a job that draws an image of the asked size, served at /images/<hash>', async () => {
    const job = await run('/generate', { prompt: 'a red circle', width: 12, height: 10, seed: 7 });
    expect(job).toMatchObject({
      kind: 'generate',
      status: 'done',
      error: null,
      result: { width: 12, height: 10, seed: 7, model: 'identity' },
    });
    expect(job.startedAt && job.finishedAt).toBeTruthy();
    expect(await image(job.result.image)).toEqual(solid([128, 128, 128], 12, 10)); // identity draws mid-gray
  });

  it('edit: PNG in base64, JPEG, and a data: URL; the output has the input size', async () => {
    const img = solid([10, 200, 30], 9, 7);
    const job = await run('/edit', { prompt: 'keep it', images: [await b64png(img)], seed: 1 });
    expect(job.result).toMatchObject({ width: 9, height: 7, seed: 1 });
    expect(await image(job.result.image)).toEqual(img);

    const jpeg = await sharp(Buffer.from(img.data), { raw: { width: 9, height: 7, channels: 3 } })
      .jpeg({ quality: 100 })
      .toBuffer();
    const j2 = await run('/edit', { prompt: 'keep it', images: [jpeg.toString('base64')] });
    expect(j2.result).toMatchObject({ width: 9, height: 7 });

    const j3 = await run('/edit', { prompt: 'keep it', images: [`data:image/png;base64,${await b64png(img)}`] });
    expect(j3.result.image).toBe(job.result.image); // same pixels, same content hash
  });

  it("a transparent upload is named in the job's notes (edit and session turn), an opaque one is not", async () => {
    // 4×2 RGBA: the left half opaque red, the right half fully transparent (black stored under it)
    const rgba = Buffer.alloc(4 * 2 * 4);
    for (let p = 0; p < 8; p++) if (p % 4 < 2) rgba.set([255, 0, 0, 255], p * 4);
    const clear = (
      await sharp(rgba, { raw: { width: 4, height: 2, channels: 4 } })
        .png()
        .toBuffer()
    ).toString('base64');
    const opaque = await b64png(solid([9, 9, 9], 4, 2));
    const r = await call(s, 'POST', '/edit', { prompt: 'keep it', images: [opaque, clear] });
    expect(r.status).toBe(202);
    expect(r.body.notes).toHaveLength(1); // in the 202 answer already
    expect(r.body.notes[0]).toMatch(/^images\[1\] is 50\.0 % transparent; .*colours stored under them.*opaque/);
    const job = await finished(s, r.body.id);
    expect(job.notes).toEqual(r.body.notes); // and when followed
    expect(await image(job.result.image)).toEqual(solid([9, 9, 9], 4, 2));
    expect((await run('/edit', { prompt: 'keep it', images: [opaque] })).notes).toEqual([]);

    await call(s, 'POST', '/sessions', { name: 'clear' });
    const t = await run('/sessions/clear/turns', { instruction: 'one', images: [clear] });
    expect(t.notes).toEqual([r.body.notes[0].replace('images[1]', 'images[0]')]);
    // what the model was given: the colours under the alpha (black), as the CLI reads them
    const input = await image(t.result.turn.inputs[0]);
    expect([...input.data.subarray(0, 6)]).toEqual([255, 0, 0, 255, 0, 0]);
    expect([...input.data.subarray(6, 12)]).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('a session: create, edit with an image, edit the head, undo, branch, show, list', async () => {
    const created = await call(s, 'POST', '/sessions', { name: 'cup' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ id: 'cup', head: null, turnCount: 0 });
    expect((await call(s, 'POST', '/sessions', {})).body.id).toMatch(/^s\d+$/); // a default name
    expect((await call(s, 'POST', '/sessions')).status).toBe(201); // the body may be left out

    const start = solid([1, 2, 3], 4, 4);
    const t1 = await run('/sessions/cup/turns', { instruction: 'one', images: [await b64png(start)] });
    expect(t1).toMatchObject({
      kind: 'session-edit',
      session: 'cup',
      status: 'done',
      result: { turn: { n: 1, parent: null, instruction: 'one' } },
    });
    expect(t1.result.image).toBe(t1.result.turn.output);
    const t2 = await run('/sessions/cup/turns', { instruction: 'two' });
    expect(t2.result.turn).toMatchObject({ n: 2, parent: 1, inputs: [t1.result.image] }); // edits the head's output

    expect((await call(s, 'POST', '/sessions/cup/undo')).body).toMatchObject({ id: 'cup', head: 1 });
    const t3 = await run('/sessions/cup/turns', { instruction: 'three' });
    expect(t3.result.turn).toMatchObject({ n: 3, parent: 1 }); // a branch beside turn 2
    expect((await call(s, 'POST', '/sessions/cup/branch', { turn: 2 })).body).toMatchObject({ head: 2 });
    const t4 = await run('/sessions/cup/turns', { instruction: 'four', from: 3 });
    expect(t4.result.turn).toMatchObject({ n: 4, parent: 3 });
    // start over: text-to-image
    const t5 = await run('/sessions/cup/turns', { instruction: 'five', from: 0, width: 6, height: 5 });
    expect(t5.result.turn).toMatchObject({ n: 5, parent: null, inputs: [], width: 6, height: 5 });

    const shown = await call(s, 'GET', '/sessions/cup');
    expect(shown.body.session).toMatchObject({ id: 'cup', head: 5, turnCount: 5 });
    expect(shown.body.current).toEqual([5]);
    expect(shown.body.turns.map((t: { parent: number | null }) => t.parent)).toEqual([null, 1, 1, 3, null]);
    expect((await call(s, 'POST', '/sessions/cup/branch', { turn: 0 })).body.head).toBeNull();

    const list = await call(s, 'GET', '/sessions');
    expect(list.body.map((x: { id: string }) => x.id)).toContain('cup');
  });

  it('session mistakes are 4xx: unknown session or turn, a taken name, undo at the start', async () => {
    expect(await call(s, 'GET', '/sessions/nope')).toMatchObject({
      status: 404,
      body: { error: "no session 'nope' (GET /sessions lists them)" },
    });
    expect((await call(s, 'POST', '/sessions/nope/turns', { instruction: 'x' })).status).toBe(404);
    await call(s, 'POST', '/sessions', { name: 'b' });
    expect(await call(s, 'POST', '/sessions', { name: 'b' })).toMatchObject({
      status: 409,
      body: { error: "a session named 'b' already exists" },
    });
    expect(await call(s, 'POST', '/sessions/b/undo')).toMatchObject({
      status: 409,
      body: { error: "session 'b' is at its start; there is nothing to undo" },
    });
    expect(await call(s, 'POST', '/sessions/b/branch', { turn: 3 })).toMatchObject({
      status: 404,
      body: { error: "session 'b' has no turn 3 (GET /sessions/b lists its turns)" },
    });
    expect((await call(s, 'POST', '/sessions/b/turns', { instruction: 'x', from: 9 })).status).toBe(404);
  });

  it('a job whose model fails ends failed, says why, and stores no turn', async () => {
    const broken = await startTestService({
      model: {
        name: 'broken',
        edit: async () => {
          throw new UserError('kontext-mini takes at most 2 images');
        },
      },
    });
    try {
      await call(broken, 'POST', '/sessions', { name: 'f' });
      const r = await call(broken, 'POST', '/sessions/f/turns', { instruction: 'x' });
      expect(await finished(broken, r.body.id)).toMatchObject({
        status: 'failed',
        error: 'kontext-mini takes at most 2 images',
        result: null,
      });
      expect((await call(broken, 'GET', '/sessions/f')).body.session).toMatchObject({ head: null, turnCount: 0 });
      const g = await call(broken, 'POST', '/generate', { prompt: 'x' });
      expect(await finished(broken, g.body.id)).toMatchObject({ status: 'failed' });
    } finally {
      await broken.dispose();
    }
  });

  it("says in a job's result the edits whose answer the model's editor says does not show them", async () => {
    const told = await startTestService({
      model: {
        name: 'tells',
        async edit(req) {
          if (req.prompt === 'make the circle red') req.onUnshown?.(['make the blue circle red'], 3);
          return req.images[0]!;
        },
      },
    });
    try {
      const img = await b64png(solid([200, 40, 40], 8, 6));
      const run = async (prompt: string) =>
        finished(told, (await call(told, 'POST', '/edit', { prompt, images: [img] })).body.id);
      expect((await run('make the circle red')).result.unshown).toEqual(['make the blue circle red']);
      expect(Object.keys((await run('make the circle blue')).result)).not.toContain('unshown');
      // a session turn's job too, and the turn records it (GET …/turns gives it back)
      await call(told, 'POST', '/sessions', { name: 'u' });
      const id = (await call(told, 'POST', '/sessions/u/turns', { instruction: 'make the circle red', images: [img] }))
        .body.id;
      const turn = await finished(told, id);
      expect(turn.result.unshown).toEqual(['make the blue circle red']);
      expect(turn.result.turn.unshown).toEqual(['make the blue circle red']);
      const listed = (await call(told, 'GET', '/sessions/u')).body;
      expect(listed.turns.map((t: { unshown: unknown }) => t.unshown)).toEqual([['make the blue circle red']]);
    } finally {
      await told.dispose();
    }
  });

  it('best of n and retries: a model without them fails the job saying so; kontext-mini (tiny here) records them in the turn', async () => {
    const g = await call(s, 'POST', '/generate', { prompt: 'x', width: 4, height: 4, candidates: 2 });
    expect(g.status).toBe(202);
    expect(await finished(s, g.body.id)).toMatchObject({
      status: 'failed',
      error: 'identity samples one answer; candidates 2 (best of n) needs kontext-mini (--model mini)',
    });
    const one = await run('/generate', { prompt: 'x', width: 4, height: 4, candidates: 1 });
    expect(one.status).toBe('done');
    const again = await call(s, 'POST', '/edit', { prompt: 'x', images: [await b64png(solid([1, 2, 3]))], retries: 1 });
    expect(await finished(s, again.body.id)).toMatchObject({
      status: 'failed',
      error:
        'identity samples one answer; retries 1 (sampling again where the answer does not show the edit) needs ' +
        'kontext-mini (--model mini)',
    });

    const dir = await tinyModelDir();
    const mini = await startTestService({ model: `mini:${dir}` });
    try {
      await call(mini, 'POST', '/sessions', { name: 'bo' });
      const img = await b64png(solid([185, 215, 240], 8, 6));
      const t1 = await finished(
        mini,
        (
          await call(mini, 'POST', '/sessions/bo/turns', {
            instruction: 'x',
            images: [img],
            seed: 5,
            candidates: 2,
            retries: 3,
          })
        ).body.id,
      );
      expect(t1).toMatchObject({ status: 'done', result: { turn: { n: 1, candidates: 2, retries: 3, seed: 5 } } });
      const t2 = await finished(mini, (await call(mini, 'POST', '/sessions/bo/turns', { instruction: 'y' })).body.id);
      expect(t2.result.turn).toMatchObject({ n: 2, parent: 1, candidates: 1, retries: 0 }); // the model's defaults
      const shown = await call(mini, 'GET', '/sessions/bo');
      expect(shown.body.turns.map((t: { candidates: number }) => t.candidates)).toEqual([2, 1]);
      expect(shown.body.turns.map((t: { retries: number }) => t.retries)).toEqual([3, 0]);
      // the words of a prompt the model does not know, before anything runs (the tiny model knows five words)
      const check = await call(mini, 'POST', '/prompts/check', { prompt: 'Please make the circle vermilion.' });
      expect(check).toMatchObject({
        status: 200,
        body: {
          unknownWords: ['vermilion'],
          note: expect.stringMatching(/^the model does not know "vermilion" and reads it without meaning: /),
        },
      });
      // a typo of a known word is read as it, and said
      const typo = await call(mini, 'POST', '/prompts/check', { prompt: 'make the cirlce blue' });
      expect(typo.body).toEqual({
        unknownWords: [],
        typos: [{ typed: 'cirlce', read: 'circle' }],
        otherWords: [],
        phrasings: [],
        note: 'read "cirlce" as "circle", a typo of a word the model knows',
      });
      const known = await call(mini, 'POST', '/prompts/check', { prompt: 'make the circle blue' });
      expect(known.body).toEqual({ unknownWords: [], typos: [], otherWords: [], phrasings: [], note: null });
      // another word for the world's is read as it, and said
      const other = await call(mini, 'POST', '/prompts/check', { prompt: 'make the ball blue' });
      expect(other.body).toEqual({
        unknownWords: [],
        typos: [],
        otherWords: [{ typed: 'ball', read: 'circle' }],
        phrasings: [],
        note: 'read "ball" as "circle", the world\'s word for it',
      });
      // "it" after the turn before (a session's head): the shape that turn edited, and said
      const after = await call(mini, 'POST', '/prompts/check', {
        prompt: 'make it blue',
        previous: 'make the red circle black',
      });
      expect(after.body.phrasings).toEqual([{ typed: 'make it blue', read: 'make the black circle blue' }]);
      expect(after.body.note).toMatch(
        /^read "make it blue" as "make the black circle blue": "it" is the shape the turn before edited/,
      );
      // known words asking what the world never draws, and two edits at once: named too (src/world/outside.ts)
      const outside = await call(mini, 'POST', '/prompts/check', {
        prompt: 'make the circle blue and the circle black',
      });
      expect(outside.body.unknownWords).toEqual(['and', 'black']); // the tiny model's five words lack 'and'
      expect(outside.body.note).toMatch(
        /^the model does not know "and", "black" .*; the model learnt one edit per instruction, and this asks for 2 .*; the model draws shapes only in .* so a "black" circle is outside what it learnt$/,
      );
      // the same note comes with a job, for clients that submit without checking first
      const job = await call(mini, 'POST', '/edit', {
        prompt: 'make the circle blue and the circle black',
        images: [img],
      });
      expect(job.body.notes).toEqual([outside.body.note]);
      // (from the start, on the upload: the tiny model's answer now and then shows a blob its output step reads as a
      // purple circle, and "the circle" would be read as "the purple circle", a word the tiny model does not know)
      const turn = await call(mini, 'POST', '/sessions/bo/turns', {
        instruction: 'make the circle vermilion',
        images: [img],
        from: 0,
      });
      expect(turn.body.notes).toEqual([expect.stringMatching(/^the model does not know "vermilion" /)]);
      const drawn = await call(mini, 'POST', '/generate', { prompt: 'the crimson circle' });
      expect(drawn.body.notes).toEqual([expect.stringMatching(/^the model does not know "crimson" /)]);
      expect((await call(mini, 'POST', '/generate', { prompt: 'make the circle blue' })).body.notes).toEqual([]);
      const [edited, turned] = await Promise.all([job.body.id, turn.body.id].map((id) => finished(mini, id)));
      expect((await finished(mini, drawn.body.id)).status).toBe('done');
      // what the model made of a prompt: two edits one after the other, said in the result; one edit: nothing
      expect(edited).toMatchObject({
        status: 'done',
        result: { madeAs: { edits: ['make the circle blue', 'make the circle black'] } },
      });
      expect(edited.result.turn).toBeUndefined();
      expect(turned.result.madeAs).toBeUndefined();
      expect(turned.result.turn.madeAs).toBeNull();
      // a style reference: the exemplar's style read, the content edited with it named; kept in the turn
      const exemplar = await b64png(solid([40, 40, 200], 8, 6));
      // told before it runs (the head's output and the exemplar: two images): the words are not read
      const asked = await call(mini, 'POST', '/sessions/bo/turns', { instruction: 'y', images: [exemplar], seed: 2 });
      expect(asked.body.notes).toEqual([STYLE_REFERENCE_NOTE]);
      const checked = await call(mini, 'POST', '/prompts/check', { prompt: 'make the circle blue', images: 2 });
      expect(checked.body).toEqual({
        unknownWords: [],
        typos: [],
        otherWords: [],
        phrasings: [],
        note: STYLE_REFERENCE_NOTE,
      });
      const styled = await finished(mini, asked.body.id);
      const madeAs = styled.result.madeAs;
      expect(madeAs).toEqual({ edits: [namedStylePrompt(madeAs.style)], style: expect.any(String) });
      expect(STYLES).toContain(madeAs.style);
      expect(styled.result.turn.madeAs).toEqual(madeAs);
      const session = await call(mini, 'GET', '/sessions/bo');
      expect(session.body.turns.at(-1)).toMatchObject({ n: styled.result.turn.n, madeAs });
      // more images than the model takes are refused when asked, saying how many it would get, and nothing is queued
      const three = await call(mini, 'POST', '/sessions/bo/turns', { instruction: 'y', images: [exemplar, exemplar] });
      expect(three).toMatchObject({
        status: 400,
        body: {
          error: `kontext-mini (${dir}) takes at most 2 images per edit; this one would get 3 (the output it edits and 2 uploads)`,
        },
      });
      const over = await call(mini, 'POST', '/sessions/bo/turns', {
        instruction: 'y',
        images: [img, exemplar],
        from: 0,
      });
      expect(over.status).toBe(202); // starting over, the two uploads are the edit's two images
      expect((await finished(mini, over.body.id)).status).toBe('done');
      const edit3 = await call(mini, 'POST', '/edit', { prompt: 'y', images: [img, img, img] });
      expect(edit3).toMatchObject({
        status: 400,
        body: { error: `kontext-mini (${dir}) takes at most 2 images per edit; this one would get 3 (the uploads)` },
      });
    } finally {
      await mini.dispose();
      await rm(dirname(dir), { recursive: true, force: true });
    }
  });

  it("says when a prompt names a shape the edited picture does not show: the check (by the image's hash) and jobs", async () => {
    const dir = await tinyModelDir();
    const mini = await startTestService({ model: `mini:${dir}` });
    const NO_STAR =
      'the picture shows no star (it shows a blue circle, a cyan square and a green triangle), so the model will ' +
      'change something else or nothing';
    try {
      const scene = await b64png(await readImage('examples/scene.png'));
      // a session started from the scene: the job's note reads the upload
      await call(mini, 'POST', '/sessions', { name: 'st' });
      const first = await call(mini, 'POST', '/sessions/st/turns', {
        instruction: 'make the star red',
        images: [scene],
      });
      expect(first.body.notes.join('; ')).toContain(NO_STAR);
      const done = await finished(mini, first.body.id);
      const [upload] = done.result.turn.inputs;
      // the check, given the upload's hash: said; with two images (a style reference) or no image: not
      const check = (body: object) => call(mini, 'POST', '/prompts/check', { prompt: 'make the star red', ...body });
      expect((await check({ image: upload })).body.note).toContain(NO_STAR);
      expect((await check({ image: upload, images: 2 })).body.note).not.toContain('the picture shows');
      expect((await check({})).body.note ?? '').not.toContain('the picture shows');
      expect((await check({ image: upload, prompt: 'make the circle red' })).body.note ?? '').not.toContain('no ');
      // a shape it shows, named by its shape alone: named as the picture shows it
      expect((await check({ image: upload, prompt: 'remove the circle' })).body.note).toContain(
        'read "the circle" as "the blue circle", as the picture shows it',
      );
      // the scene greyed (as a turn that greyed it gives it): an edit of it is told the model edits pictures in colour,
      // the job's notes and the check by its hash; greying it again is not
      await call(mini, 'POST', '/sessions', { name: 'grey' });
      const greyed = await b64png(worldGray(await readImage('examples/scene.png')));
      const onGrey = await call(mini, 'POST', '/sessions/grey/turns', {
        instruction: 'remove the circle',
        images: [greyed],
      });
      expect(onGrey.body.notes.join('; ')).toContain(GREY_PICTURE_NOTE);
      const [grey] = (await finished(mini, onGrey.body.id)).result.turn.inputs;
      expect((await check({ image: grey, prompt: 'remove the circle' })).body.note).toContain(GREY_PICTURE_NOTE);
      expect((await check({ image: grey, prompt: 'make it grey' })).body.note ?? '').not.toContain(
        'the picture is grey',
      );
      expect((await check({ image: upload, prompt: 'remove the circle' })).body.note ?? '').not.toContain('grey');
      // its colour known (a turn that recorded it, as one that greyed the picture does: Turn.color): the edit is made
      // in colour, so neither the check given the colour's hash nor the next turn's job says so
      const t1 = (await call(mini, 'GET', '/sessions/grey')).body.session.head;
      const color = await mini.store.images.put(await readImage('examples/scene.png'));
      const { job: _job, ...greyTurn } = mini.store.turn('grey', t1);
      // (a turn that greyed the scene: its output the grey upload, its colour the scene)
      mini.store.addTurn('grey', { ...greyTurn, parent: t1, instruction: 'make it grey', output: grey, color });
      const colorCheck = await check({ image: grey, color, prompt: 'remove the circle' });
      expect(colorCheck.body.note ?? '').not.toContain('the picture is grey');
      const inColor = await call(mini, 'POST', '/sessions/grey/turns', { instruction: 'remove the circle' });
      expect(inColor.body.notes.join('; ')).not.toContain('the picture is grey');
      const made = (await finished(mini, inColor.body.id)).result.turn;
      // its answer's colour recorded and served with the turn, the answer its grey
      const turns = (await call(mini, 'GET', '/sessions/grey')).body.turns;
      expect(turns.at(-2).color).toBe(color);
      expect(turns.at(-1)).toMatchObject({ n: made.n, color: expect.stringMatching(/^[0-9a-f]{64}$/) });
      const answer = await mini.store.images.get(made.output);
      expect(answer.data).toEqual(worldGray(await mini.store.images.get(turns.at(-1).color)).data);
      expect(await check({ image: grey, color: 'b'.repeat(64) })).toMatchObject({
        status: 404,
        body: { error: `no image ${'b'.repeat(64)} (\`color\` names a stored image)` },
      });
      // a bad or unknown hash: said, nothing checked
      expect(await check({ image: 'x' })).toMatchObject({
        status: 400,
        body: { error: expect.stringContaining('is not an image hash') },
      });
      const unknown = 'a'.repeat(64);
      expect(await check({ image: unknown })).toMatchObject({
        status: 404,
        body: { error: `no image ${unknown} (\`image\` names a stored image)` },
      });
      // an edit job of the scene alone: its notes say it too
      const job = await call(mini, 'POST', '/edit', { prompt: 'make the star red', images: [scene] });
      expect(job.body.notes.join('; ')).toContain(NO_STAR);
      expect((await finished(mini, job.body.id)).status).toBe('done');
    } finally {
      await mini.dispose();
      await rm(dirname(dir), { recursive: true, force: true });
    }
  });

  it('a prompt check: null where the model cannot tell, 400 for an empty prompt or a wrong body', async () => {
    expect(await call(s, 'POST', '/prompts/check', { prompt: 'make the circle crimson' })).toMatchObject({
      status: 200,
      body: { unknownWords: null, note: null },
    });
    expect(await call(s, 'POST', '/prompts/check', { prompt: '  ' })).toMatchObject({
      status: 400,
      body: { error: 'prompt is empty; say what to draw or change, e.g. "make the circle blue"' },
    });
    expect((await call(s, 'POST', '/prompts/check', { text: 'x' })).status).toBe(400);
    const bad = await call(s, 'POST', '/prompts/check', { prompt: 'x', images: -1 });
    expect(bad).toMatchObject({ status: 400, body: { error: expect.stringMatching(/images/) } });
    expect(await call(s, 'POST', '/prompts/check', { prompt: 'x', previous: 'x'.repeat(2001) })).toMatchObject({
      status: 400,
      body: { error: "previous is 2001 characters, above this server's limit of 2000" },
    });
  });

  it('unknown jobs, images and routes are 404 with a JSON error', async () => {
    const r = await call(s, 'GET', `/jobs/${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`);
    expect(r).toMatchObject({ status: 404, body: { error: expect.stringMatching(/^no job /) } });
    expect(await call(s, 'GET', `/images/${'a'.repeat(64)}`)).toMatchObject({
      status: 404,
      body: { error: `no image ${'a'.repeat(64)}` },
    });
    expect(await call(s, 'GET', '/nowhere')).toMatchObject({
      status: 404,
      body: { error: 'no route GET /nowhere; GET /openapi.json lists the routes' },
    });
  });
});
