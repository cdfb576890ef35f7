import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resolveChromium } from '@astria/dev-programs';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestSandbox, type TestSandbox } from './helpers.js';

/** Polls the page (the bot answers asynchronously; the machine may be busy). */
const POLL = { timeout: 30_000, interval: 100 };
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

/** Opens the page in Chromium (CHROMIUM_PATH, the system's, or the packaged one) and chats from the first text to the payment link and back. */
describe('the chat page in a browser', () => {
  let harness: TestSandbox;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    const chromiumProgram = await resolveChromium();
    harness = await startTestSandbox();
    browser = await chromium.launch({
      executablePath: chromiumProgram.path,
      args: chromiumProgram.args,
      headless: true,
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // Generous: on a busy 2-core machine the first answer can take seconds (the bot runs in this process).
    page.setDefaultTimeout(45_000);
  });
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
  });

  /** The last message bubble offering a choice id (buttons) or a list. */
  const chooseButton = (id: string) => page.locator(`.message button[data-id="${id}"]`).last().click();
  async function chooseFromList(id: string) {
    await page.locator(`.message.kind-list[data-choices~="${id}"] .choices button`).last().click();
    await page.locator(`#list-dialog input[value="${id}"]`).check();
    await page.locator('#list-send').click();
  }

  it('chats to the payment link and back to delivered portraits', { timeout: 180_000 }, async () => {
    const { sandbox } = harness;
    const phone = '15551110004';
    await page.goto(sandbox.urls.page);
    await expect.poll(() => page.getAttribute('body', 'data-connected'), POLL).toBe('true');

    // Create the user with the form, then type like a WhatsApp user (Enter sends).
    await page.getByLabel('Phone number').fill(phone);
    await page.getByLabel('Name', { exact: true }).fill('Alex');
    await page.getByRole('button', { name: 'Start chat' }).click();
    await page.getByLabel('Message', { exact: true }).fill('hello');
    await page.keyboard.press('Enter');

    await page.locator('.message[data-choices~="menu:begin"]').waitFor();
    await chooseFromList('menu:begin');
    await page.locator('.message[data-choices~="photos:ready"]').waitFor();
    await chooseButton('photos:ready');
    await page.locator('.message.out.kind-text').last().waitFor();

    for (const sample of ['selfie-1.jpg', 'sunglasses.jpg', 'selfie-2.jpg', 'selfie-3.jpg', 'selfie-4.jpg']) {
      await page.locator('#open-samples').click();
      await page.locator(`button[data-sample="${sample}"]`).click();
    }
    await page.locator('.message.in.kind-image .reactions', { hasText: '❌' }).waitFor();
    await expect.poll(() => page.locator('.message.in.kind-image .reactions').count(), POLL).toBe(5);
    await page.locator('.message[data-choices~="photos:done"]').waitFor();
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}sandbox-photos.png` });
    if (process.env.UPDATE_README_SCREENSHOT) {
      await page.screenshot({ path: fileURLToPath(new URL('../../../docs/images/sandbox.png', import.meta.url)) });
    }
    await chooseFromList('photos:done');
    await page.locator('.message[data-choices~="tier:lite"]').waitFor();
    await chooseFromList('tier:lite');
    const packButton = page.locator('.message button[data-id^="pack:"]').first();
    await packButton.waitFor();
    const packId = (await packButton.getAttribute('data-id'))?.slice('pack:'.length);
    await packButton.click();
    await chooseButton(`agree:${packId}`);

    // The payment link opens in a new tab, with the user's number in it.
    const cta = page.locator('.message.kind-cta a.cta').last();
    await cta.waitFor();
    expect(await cta.getAttribute('href')).toContain(phone);
    const [payment] = await Promise.all([page.waitForEvent('popup'), cta.click()]);
    await payment.waitForLoadState();
    expect(await payment.getByLabel('Phone').inputValue()).toBe(phone);
    await payment.getByLabel('Full name').fill('Alex Cohen');
    await payment.getByRole('button', { name: /^Pay/ }).click();
    await payment.getByRole('heading', { name: 'Payment received' }).waitFor();
    await payment.close();

    // Back in the chat: thanks, the portraits and the rating list.
    await expect
      .poll(() => page.locator('.message.out.kind-image img').count(), { timeout: 30_000 })
      .toBeGreaterThan(0);
    await page.locator('.message.kind-list[data-choices~="rate:2"]').waitFor();
    await expect.poll(() => page.locator('#timeline li.delivered').count(), POLL).toBeGreaterThan(10);
    await page.getByLabel('Hide whatsapp_send_requested').check();

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: `${ARTIFACTS}sandbox-desktop.png` });

    // Every control has an accessible name (visible text, a label, or visually hidden text).
    // (A string runs in the page: the test's TypeScript has no DOM types.)
    const unnamed = await page.evaluate<string[]>(`
      [...document.querySelectorAll('button, a[href], input:not([type=hidden]), textarea, select')]
        .filter((el) => {
          const labelled = el.id && document.querySelector('label[for="' + el.id + '"]');
          const text = (el.textContent || '').trim() || el.getAttribute('aria-label') || el.getAttribute('title');
          return !labelled && !text && !el.closest('label');
        })
        .map((el) => el.outerHTML.slice(0, 80))
    `);
    expect(unnamed).toEqual([]);

    // "+25 h": the simulated WhatsApp's clock moves on; the top bar says how far.
    await page.getByRole('button', { name: '+25 h' }).click();
    await expect.poll(() => page.locator('#clock').textContent(), POLL).toBe('WhatsApp clock +25 h');

    // Phone width: the chat alone, panels behind buttons.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(page.locator('#timeline-panel').isVisible()).resolves.toBe(false);
    await page.getByRole('button', { name: 'Event timeline' }).click();
    await expect(page.locator('#timeline-panel').isVisible()).resolves.toBe(true);
    await page.getByRole('button', { name: 'Event timeline' }).click();
    await page.screenshot({ path: `${ARTIFACTS}sandbox-phone.png` });
  });
});
