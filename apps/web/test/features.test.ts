/**
 * Replies, reactions, edits, deletes and files between the web client and the `parley` command
 * on one relay: what the CLI does shows in the page (the quote, the reaction with who, the new
 * text with the earlier one behind "Edited", the tombstone, a thumbnail and the full image, a
 * file with its name and size whose bytes are the sender's), and what the web user does the CLI
 * receives. A deleted or edited message is not found by the web search by its old text.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { directId, ENGINE_CHANNEL } from '../src/engine/protocol.js';
import { parleyOk, receiveEvents, receiveUntil, type CliEvent } from './cli-process.js';
import { png } from './png.js';
import { expect } from './expect.js';
import {
  createGroup,
  expectMessage,
  message,
  register,
  send,
  startChat,
  waitOnline,
  UI_TIMEOUT_MS,
} from './flows.js';
import {
  engineRequest,
  openUser,
  wholeTimeline,
  type Server,
  withServerAndBrowser,
} from './harness.js';

let server: Server;
let browser: Browser;
let homes: string;

withServerAndBrowser((s, b) => {
  server = s;
  browser = b;
  homes = mkdtempSync(join(tmpdir(), 'parley-web-features-'));
});

/** The first `parley --json receive` event that satisfies `wanted`. */
async function cliReceive(
  home: string,
  wanted: (e: CliEvent) => boolean,
  attempts = 6,
): Promise<CliEvent> {
  const seen = await receiveEvents(server.base, home, wanted, attempts);
  return seen.find(wanted) ?? assert.fail('receiveEvents returns once one is wanted');
}

/** `parley send …` and the new message's id (what it prints). */
async function cliSend(home: string, ...args: string[]): Promise<string> {
  const out = await parleyOk(server.base, home, 'send', ...args);
  const id = out.trim().split('\n').at(-1)?.trim() ?? '';
  assert.match(id, /^[\w-]{8,}$/, out);
  return id;
}

/** The web search's hits for `query` (their texts). */
async function searchTexts(page: Page, query: string): Promise<string[]> {
  const hits = await engineRequest(page, 'search', { query, limit: 50 });
  return hits.map((h) => h.item.text);
}

/** SHA-256 (hex) of file `index` of message `id`, as the engine decrypts it for the page. */
function webFileDigest(page: Page, conv: string, id: string, index: number): Promise<string> {
  return page.evaluate(
    async ({ conv, id, index, channelName }) => {
      const engine = document.documentElement.dataset['engine'];
      const channel = new BroadcastChannel(channelName);
      const tab = `test-${crypto.randomUUID()}`;
      try {
        const blob = await new Promise<Blob>((resolve, reject) => {
          channel.onmessage = (
            e: MessageEvent<{ kind: string; tab?: string; ok?: boolean; value?: unknown }>,
          ) => {
            if (e.data.kind !== 'reply' || e.data.tab !== tab) return;
            if (e.data.ok === true) resolve(e.data.value as Blob);
            else reject(new Error('attachment request failed'));
          };
          channel.postMessage({
            kind: 'request',
            tab,
            engine,
            id: 1,
            request: { type: 'attachment', params: { conv, id, index } },
          });
        });
        const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
        return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
      } finally {
        channel.close();
      }
    },
    { conv, id, index, channelName: ENGINE_CHANNEL },
  );
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

test(
  'the CLI replies, reacts, edits, deletes and sends files; the web page shows each',
  { timeout: 600_000 },
  async () => {
    const bobHome = join(homes, 'bob');
    await parleyOk(server.base, bobHome, 'register', 'fbob');
    const web = await openUser(browser, server.base);
    const page = web.page;
    await register(page, 'fweb');
    await waitOnline(page);
    await startChat(page, 'fbob');
    const conv = directId('fbob');

    await send(page, 'web says hi');
    const hi = await cliReceive(bobHome, (e) => e.message?.['text'] === 'web says hi');
    const hiId = String(hi.message?.['id']);

    // A reply quoting the web user's message: the quote names its sender and text, and a
    // click moves to the quoted message.
    await cliSend(bobHome, 'fweb', '--reply-to', hiId, 'bob replies here');
    await expectMessage(page, 'bob replies here');
    const quote = message(page, 'bob replies here').getByRole('button', {
      name: 'Reply to fweb: web says hi',
    });
    await quote.waitFor({ timeout: UI_TIMEOUT_MS });
    await quote.click();
    await expect(async () => {
      const t = await page.evaluate(
        () => document.activeElement?.closest('article')?.textContent ?? '',
      );
      return t.includes('web says hi') && !t.includes('bob replies here');
    }, 'the quoted message to have focus');

    // A reaction, then its removal.
    await parleyOk(server.base, bobHome, 'react', 'fweb', hiId, '👍');
    const reaction = message(page, 'web says hi')
      .first()
      .getByRole('button', { name: '👍 1: fbob' });
    await reaction.waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await reaction.getAttribute('title'), 'fbob');
    await parleyOk(server.base, bobHome, 'react', '--remove', 'fweb', hiId, '👍');
    await reaction.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });

    // An edit: the new text shows, marked edited with the earlier one behind the disclosure;
    // search finds the new text and not the old.
    const typoId = await cliSend(bobHome, 'fweb', 'a sentance with a typo');
    await expectMessage(page, 'a sentance with a typo');
    await parleyOk(server.base, bobHome, 'edit', 'fweb', typoId, 'a corrected line');
    const edited = message(page, 'a corrected line');
    await edited.waitFor({ timeout: UI_TIMEOUT_MS });
    const history = edited.getByText('Edited', { exact: true });
    await history.click();
    await edited.getByText('a sentance with a typo').waitFor({ timeout: UI_TIMEOUT_MS });
    assert.deepEqual(await searchTexts(page, 'sentance'), []);
    assert.deepEqual(await searchTexts(page, 'corrected line'), ['a corrected line']);

    // A delete for everyone: a tombstone, the text gone from the page, the engine's history
    // and the search index.
    const secretId = await cliSend(bobHome, 'fweb', 'this secret gets deleted');
    await expectMessage(page, 'this secret gets deleted');
    assert.deepEqual(await searchTexts(page, 'secret gets'), ['this secret gets deleted']);
    await parleyOk(server.base, bobHome, 'delete', 'fweb', secretId);
    await page
      .getByRole('feed')
      .getByText('This message was deleted')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await expect(
      async () => !(await page.content()).includes('secret gets'),
      'the deleted text to leave the page',
    );
    assert.deepEqual(await searchTexts(page, 'secret gets'), []);
    const stored = await wholeTimeline(page, conv);
    assert.ok(!JSON.stringify(stored).includes('secret gets'));
    assert.equal(stored.find((i) => i.id === secretId)?.deleted, true);

    // Files: an image (thumbnail inline, the full image on request) and a text file (name,
    // size, and bytes that are the sender's).
    const picture = png(120, 80);
    const notes = new TextEncoder().encode('meeting notes\nline two\n');
    writeFileSync(join(homes, 'photo.png'), picture);
    writeFileSync(join(homes, 'notes.txt'), notes);
    const fileMsgId = await cliSend(
      bobHome,
      'fweb',
      '--file',
      join(homes, 'photo.png'),
      '--file',
      join(homes, 'notes.txt'),
      'two files',
    );
    const files = message(page, 'two files');
    await files.waitFor({ timeout: UI_TIMEOUT_MS });
    const thumb = files.getByRole('img', { name: 'photo.png (preview)' });
    await thumb.waitFor({ timeout: UI_TIMEOUT_MS });
    await expect(
      async () => (await thumb.evaluate((img) => (img as HTMLImageElement).naturalWidth)) > 0,
      'the thumbnail to decode',
    );
    await files.getByRole('button', { name: 'Show the full image photo.png' }).click();
    const full = files.getByRole('img', { name: 'photo.png', exact: true });
    await full.waitFor({ timeout: UI_TIMEOUT_MS });
    await expect(
      async () => (await full.evaluate((img) => (img as HTMLImageElement).naturalWidth)) === 120,
      'the full image to decode at its size',
    );
    assert.match(String(await full.getAttribute('src')), /^blob:/);
    await files.getByRole('button', { name: `Download notes.txt, ${notes.length} B` }).click();
    await files.getByRole('link', { name: 'Save notes.txt' }).waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await webFileDigest(page, conv, fileMsgId, 1), sha256(notes));
    assert.equal(await webFileDigest(page, conv, fileMsgId, 0), sha256(picture));

    assert.deepEqual(web.problems.list, []);
  },
);

test(
  'the web user replies, reacts, edits, deletes and sends a file; the CLI receives each',
  { timeout: 600_000 },
  async () => {
    const carolHome = join(homes, 'carol');
    await parleyOk(server.base, carolHome, 'register', 'fcarol');
    const web = await openUser(browser, server.base);
    const page = web.page;
    await register(page, 'fweb2');
    await waitOnline(page);
    await startChat(page, 'fcarol');

    const askId = await cliSend(carolHome, 'fweb2', 'please answer this');
    await expectMessage(page, 'please answer this');
    // The first: the reply below quotes it.
    const ask = message(page, 'please answer this').first();

    // Reply: the quote bar shows, Cancel drops it, Reply again and send.
    await ask.getByRole('button', { name: 'Reply', exact: true }).click();
    const bar = page.getByRole('group', { name: 'Replying' });
    await bar.getByText('please answer this').waitFor({ timeout: UI_TIMEOUT_MS });
    await bar.getByRole('button', { name: 'Cancel the reply' }).click();
    await bar.waitFor({ state: 'detached' });
    await ask.getByRole('button', { name: 'Reply', exact: true }).click();
    await send(page, 'my answer');
    await bar.waitFor({ state: 'detached', timeout: UI_TIMEOUT_MS });
    const reply = await cliReceive(carolHome, (e) => e.message?.['text'] === 'my answer');
    assert.equal(reply.message?.['replyTo'], askId);
    await message(page, 'my answer')
      .getByRole('button', { name: 'Reply to fcarol: please answer this' })
      .waitFor({ timeout: UI_TIMEOUT_MS });

    // React, and the CLI sees it.
    await ask.getByRole('button', { name: 'React', exact: true }).click();
    await ask.getByRole('button', { name: 'React with ❤️' }).click();
    await ask.getByRole('button', { name: '❤️ 1: you' }).waitFor({ timeout: UI_TIMEOUT_MS });
    const reacted = await cliReceive(
      carolHome,
      (e) => e.action === 'reaction' && e.message?.['id'] === askId,
    );
    assert.deepEqual(Object.values(reacted.message?.['reactions'] ?? {}), ['❤️']);

    // Edit our own message.
    await send(page, 'web typo here');
    const typo = await cliReceive(carolHome, (e) => e.message?.['text'] === 'web typo here');
    await message(page, 'web typo here').getByRole('button', { name: 'Edit' }).click();
    const box = page.getByRole('textbox', { name: /^Message to / });
    assert.equal(await box.inputValue(), 'web typo here');
    await box.fill('web fixed text');
    await box.press('Enter');
    await message(page, 'web fixed text')
      .getByText('Edited', { exact: true })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    const edit = await cliReceive(
      carolHome,
      (e) => e.action === 'edit' && e.message?.['id'] === typo.message?.['id'],
    );
    assert.equal(edit.message?.['text'], 'web fixed text');
    assert.deepEqual(await searchTexts(page, 'typo here'), []);

    // Delete our own message, after the confirmation.
    await send(page, 'web regrets this');
    const regret = await cliReceive(carolHome, (e) => e.message?.['text'] === 'web regrets this');
    await message(page, 'web regrets this').getByRole('button', { name: 'Delete' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete this message for everyone?' });
    await confirm.getByRole('button', { name: 'Delete for everyone' }).click();
    await page
      .getByRole('feed')
      .getByText('This message was deleted')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await cliReceive(
      carolHome,
      (e) => e.action === 'delete' && e.message?.['id'] === regret.message?.['id'],
    );
    assert.deepEqual(await searchTexts(page, 'regrets'), []);

    // A file from the file picker: the CLI saves it with the same digest.
    const report = new TextEncoder().encode('quarterly numbers: 1, 2, 3\n'.repeat(50));
    await page.getByLabel('Attach files').setInputFiles({
      name: 'report.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(report),
    });
    await page
      .getByRole('list', { name: 'Files to send' })
      .getByText('report.txt')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await send(page, 'the report');
    const got = await cliReceive(carolHome, (e) => e.message?.['text'] === 'the report');
    const saved = got.attachments?.[0];
    assert.equal(saved?.name, 'report.txt');
    assert.equal(saved.sha256, sha256(report));
    assert.equal(sha256(readFileSync(saved.path)), sha256(report));
    await message(page, 'the report').getByText('report.txt').waitFor({ timeout: UI_TIMEOUT_MS });

    assert.deepEqual(web.problems.list, []);
  },
);

test(
  'in a group: the CLI replies, reacts, edits and deletes, and the web user reacts and deletes',
  { timeout: 600_000 },
  async () => {
    const daveHome = join(homes, 'dave');
    await parleyOk(server.base, daveHome, 'register', 'gdave');
    const web = await openUser(browser, server.base);
    const page = web.page;
    await register(page, 'gweb');
    await waitOnline(page);
    await createGroup(page, 'Hikers', 'gdave');
    await receiveUntil(server.base, daveHome, /\[Hikers\] gdave joined, added by gweb/);

    await send(page, 'group hello');
    const hello = await cliReceive(daveHome, (e) => e.message?.['text'] === 'group hello');
    const helloId = String(hello.message?.['id']);

    await cliSend(daveHome, '--group', 'Hikers', '--reply-to', helloId, 'dave replies');
    await message(page, 'dave replies')
      .getByRole('button', { name: 'Reply to gweb: group hello' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    await parleyOk(server.base, daveHome, 'react', '--group', 'Hikers', helloId, '🎉');
    await message(page, 'group hello')
      .first()
      .getByRole('button', { name: '🎉 1: gdave' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    const draftId = await cliSend(daveHome, '--group', 'Hikers', 'dave first draft');
    await expectMessage(page, 'dave first draft');
    await parleyOk(server.base, daveHome, 'edit', '--group', 'Hikers', draftId, 'dave final');
    await message(page, 'dave final')
      .getByText('Edited', { exact: true })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.deepEqual(await searchTexts(page, 'first draft'), []);
    const oopsId = await cliSend(daveHome, '--group', 'Hikers', 'dave oops wrong group');
    await expectMessage(page, 'dave oops wrong group');
    await parleyOk(server.base, daveHome, 'delete', '--group', 'Hikers', oopsId);
    await page
      .getByRole('feed')
      .getByText('This message was deleted')
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.deepEqual(await searchTexts(page, 'oops wrong'), []);

    // The web user reacts to dave's reply and deletes its own first message.
    const daves = message(page, 'dave replies');
    await daves.getByRole('button', { name: 'React', exact: true }).click();
    await daves.getByRole('button', { name: 'React with 😂' }).click();
    await cliReceive(
      daveHome,
      (e) =>
        e.action === 'reaction' && Object.values(e.message?.['reactions'] ?? {}).includes('😂'),
    );
    await message(page, 'group hello').first().getByRole('button', { name: 'Delete' }).click();
    await page
      .getByRole('alertdialog', { name: 'Delete this message for everyone?' })
      .getByRole('button', { name: 'Delete for everyone' })
      .click();
    await cliReceive(daveHome, (e) => e.action === 'delete' && e.message?.['id'] === helloId);
    // The reply to it now quotes a deleted message; two tombstones and that quote.
    await message(page, 'dave replies')
      .getByRole('button', { name: 'Reply to gweb: This message was deleted' })
      .waitFor({ timeout: UI_TIMEOUT_MS });
    assert.equal(await page.getByRole('feed').getByText('This message was deleted').count(), 3);

    assert.deepEqual(web.problems.list, []);
  },
);
