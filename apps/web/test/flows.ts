/** What a person does in the web client, by role and accessible name (shared by the tests). */
import { expect } from './expect.js';
import type { Page } from 'playwright-core';

/** Generous: the machine running the tests is shared and slow; nothing here measures speed. */
export const UI_TIMEOUT_MS = 60_000;

export async function register(page: Page, username: string): Promise<void> {
  await page.getByRole('textbox', { name: 'Username' }).fill(username, { timeout: UI_TIMEOUT_MS });
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByText(`Signed in as ${username}`).waitFor({ timeout: UI_TIMEOUT_MS });
}

export async function waitOnline(page: Page): Promise<void> {
  await page.getByText('Connection: Online', { exact: true }).waitFor({ timeout: UI_TIMEOUT_MS });
}

export async function startChat(page: Page, username: string): Promise<void> {
  await page.getByRole('button', { name: 'New chat' }).click();
  const dialog = page.getByRole('dialog', { name: 'New chat' });
  await dialog.getByRole('textbox', { name: 'Username' }).fill(username);
  await dialog.getByRole('button', { name: 'Start chat' }).click();
  await page.getByRole('heading', { level: 2, name: username }).waitFor({ timeout: UI_TIMEOUT_MS });
}

/** Creates a group from the "New group" dialog and waits for its conversation to open. */
export async function createGroup(page: Page, name: string, members: string): Promise<void> {
  await page.getByRole('button', { name: 'New group' }).click();
  const dialog = page.getByRole('dialog', { name: 'New group' });
  await dialog.getByRole('textbox', { name: 'Group name' }).fill(name);
  await dialog.getByRole('textbox', { name: 'Members' }).fill(members);
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await page.getByRole('heading', { level: 2, name }).waitFor({ timeout: UI_TIMEOUT_MS });
}

export async function openConversation(page: Page, title: string): Promise<void> {
  await page
    .getByRole('navigation', { name: 'Conversations' })
    .getByRole('button', { name: new RegExp(`^${title}\\b`) })
    .click({ timeout: UI_TIMEOUT_MS });
  await page.getByRole('heading', { level: 2, name: title }).waitFor({ timeout: UI_TIMEOUT_MS });
}

export async function send(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: /^Message to / });
  await box.fill(text);
  await box.press('Enter');
}

/** The message article whose text is `text`, in the open conversation's feed. */
export function message(page: Page, text: string) {
  return page.getByRole('feed').getByRole('article').filter({ hasText: text });
}

export async function expectMessage(page: Page, text: string, state?: string): Promise<void> {
  const article = message(page, text);
  await article.first().waitFor({ timeout: UI_TIMEOUT_MS });
  if (state !== undefined)
    await expect(async () => {
      const states = await article.first().locator('.state').allTextContents();
      return states.join('') === state;
    }, `message "${text}" to be ${state}`);
}
