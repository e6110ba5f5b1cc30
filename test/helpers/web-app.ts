/**
 * Driving the web app's pre-join screen from playwright: open `/<room>`, type the display name,
 * wait for the camera preview. The caller presses Join (some measure from that moment).
 */
import type { Page } from 'playwright-core';

export async function openPrejoin(page: Page, baseUrl: string, room: string, name: string): Promise<void> {
  await page.goto(`${baseUrl}/${room}`);
  await page.fill('#display-name', name);
  await page.waitForFunction(() => (document.querySelector('.prejoin video') as HTMLVideoElement | null)?.srcObject !== null);
}
