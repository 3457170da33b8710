import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { editSelection, sortEditFiles } from '../../src/core/files/editSelection';
import { MAX_EDIT_IMAGES, MAX_EDIT_TOTAL_BYTES, checkEditInputs } from '../../src/core/gateway/editInputs';
import { GatewayError } from '../../src/core/errors';
import { makePng } from '../gateway/images';

/** Files as VS Code hands them over: Uri-like objects, the same file possibly as two different objects. */
interface FakeUri {
  path: string;
}
const file = (path: string): FakeUri => ({ path });
const key = (uri: FakeUri) => `file://${uri.path}`;
const paths = (selection: ReturnType<typeof editSelection<FakeUri>>) =>
  selection.kind === 'send' ? selection.items.map((uri) => uri.path) : selection;

describe('editSelection: which images one Edit Image sends, in what order', () => {
  it('one file (the preview title bar, the palette, no selection): that file alone', () => {
    assert.deepEqual(paths(editSelection(file('/w/a.png'), undefined, key)), ['/w/a.png']);
  });

  it('a selection of one, the clicked file: that file alone', () => {
    assert.deepEqual(paths(editSelection(file('/w/a.png'), [file('/w/a.png')], key)), ['/w/a.png']);
  });

  it('the clicked file first, then the others in the selection\'s order', () => {
    const selected = [file('/w/a.png'), file('/w/b.jpg'), file('/w/c.webp'), file('/w/d.png')];
    assert.deepEqual(paths(editSelection(file('/w/c.webp'), selected, key)), ['/w/c.webp', '/w/a.png', '/w/b.jpg', '/w/d.png']);
  });

  it('keeps the selection\'s order as given, not the names\' order', () => {
    const selected = [file('/w/z.png'), file('/w/a.png'), file('/w/m.png')];
    assert.deepEqual(paths(editSelection(file('/w/z.png'), selected, key)), ['/w/z.png', '/w/a.png', '/w/m.png']);
  });

  it('sends each file once: repeats (the same file as another object) are dropped, the first place kept', () => {
    const selected = [file('/w/a.png'), file('/w/b.png'), file('/w/a.png'), file('/w/b.png'), file('/w/c.png')];
    assert.deepEqual(paths(editSelection(file('/w/b.png'), selected, key)), ['/w/b.png', '/w/a.png', '/w/c.png']);
  });

  it('a right-click outside the selection is about the clicked file alone (the Explorer\'s own rule)', () => {
    const selected = [file('/w/a.png'), file('/w/b.png')];
    assert.deepEqual(paths(editSelection(file('/w/x.png'), selected, key)), ['/w/x.png']);
  });

  it('an empty selection array: the clicked file alone', () => {
    assert.deepEqual(paths(editSelection(file('/w/a.png'), [], key)), ['/w/a.png']);
  });

  it(`sends up to the route's limit (${MAX_EDIT_IMAGES}) and refuses one more, counting each file once`, () => {
    const many = Array.from({ length: MAX_EDIT_IMAGES + 1 }, (_, i) => file(`/w/${i}.png`));
    const atLimit = editSelection(file('/w/0.png'), many.slice(0, MAX_EDIT_IMAGES), key);
    assert.equal(atLimit.kind, 'send');
    assert.equal(atLimit.kind === 'send' ? atLimit.items.length : 0, MAX_EDIT_IMAGES);
    assert.deepEqual(editSelection(file('/w/0.png'), many, key), { kind: 'tooMany', count: MAX_EDIT_IMAGES + 1, limit: MAX_EDIT_IMAGES });
    // The limit's files with repeats are still within it.
    const repeated = [...many.slice(0, MAX_EDIT_IMAGES), ...many.slice(0, 5)];
    assert.equal(editSelection(file('/w/3.png'), repeated, key).kind, 'send');
  });

  it('the limit is the route\'s: the Images API documents 16 input images', () => {
    assert.equal(MAX_EDIT_IMAGES, 16);
    assert.deepEqual(editSelection(file('/w/a.png'), [file('/w/a.png'), file('/w/b.png'), file('/w/c.png')], key, 2), {
      kind: 'tooMany',
      count: 3,
      limit: 2,
    });
  });
});

describe('sortEditFiles: images by their bytes, not their names', () => {
  const png = makePng(4, 3);
  const jpeg = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]);
  const webp = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x24, 0, 0, 0]), Buffer.from('WEBPVP8 ')]);
  const text = Buffer.from('hello, I am text pretending to be a PNG\n');

  it('keeps the images in order, with their real type and their exact bytes', () => {
    const kinds = sortEditFiles([
      { item: 'photo.jpg.png', bytes: jpeg },
      { item: 'a.png', bytes: png },
      { item: 'b.webp', bytes: webp },
    ]);
    assert.deepEqual(kinds.notImages, []);
    assert.deepEqual(
      kinds.images.map(({ item, image }) => [item, image.mime]),
      [['photo.jpg.png', 'image/jpeg'], ['a.png', 'image/png'], ['b.webp', 'image/webp']],
    );
    assert.equal(kinds.images[1]?.image.bytes, png, 'the bytes read, not a copy');
  });

  it('names every file that is not an image, whatever it is called, and quotes its first bytes', () => {
    const kinds = sortEditFiles([
      { item: 'a.png', bytes: png },
      { item: 'fake.png', bytes: text },
      { item: 'empty.jpg', bytes: new Uint8Array(0) },
      { item: 'anim.webp', bytes: Buffer.from('GIF89a') },
    ]);
    assert.deepEqual(kinds.images.map(({ item }) => item), ['a.png']);
    assert.deepEqual(kinds.notImages, [
      { item: 'fake.png', startsWith: 'hello, I am text pretend…' },
      { item: 'empty.jpg', startsWith: '(empty)' },
      { item: 'anim.webp', startsWith: 'GIF89a' },
    ]);
  });

  it('a PNG signature cut short is not an image', () => {
    const kinds = sortEditFiles([{ item: 'cut.png', bytes: png.subarray(0, 7) }]);
    assert.deepEqual(kinds.images, []);
    assert.equal(kinds.notImages[0]?.item, 'cut.png');
  });
});

describe('checkEditInputs: the bytes of one edit, all images together', () => {
  const image = (mib: number) => ({ mime: 'image/png', bytes: new Uint8Array(mib * 1024 * 1024) });
  it(`up to ${MAX_EDIT_TOTAL_BYTES / 1024 / 1024} MiB in all is sent; one byte more is refused before any request, saying how much`, () => {
    assert.doesNotThrow(() => checkEditInputs({ inputImages: [image(20), image(20), image(24)] }));
    const over = [image(20), image(20), image(20), { mime: 'image/png', bytes: new Uint8Array(4 * 1024 * 1024 + 1) }];
    assert.throws(
      () => checkEditInputs({ inputImages: over }),
      (error: unknown) => error instanceof GatewayError && error.kind === 'config' && /are 64\.0 MiB together; at most 64 MiB are sent at once/.test(error.message),
    );
  });
});
