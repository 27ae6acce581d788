import { expect, test } from './fixtures.js';
import { PHONE, closeAll, meet, messageTexts, personEntry, send, type Person } from './people.js';

let people: Person[] = [];
test.afterEach(() => closeAll(people));

async function noHorizontalScroll(person: Person) {
  expect(await person.page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
}

async function touchTargetsAreLarge(person: Person) {
  const small = await person.page.evaluate(() => {
    const found: string[] = [];
    const visit = (root: Document | ShadowRoot) => {
      for (const element of root.querySelectorAll<HTMLElement>('button, a, input, textarea')) {
        // A control inside a <label> is hit anywhere on the label.
        const box = (element.closest('label') ?? element).getBoundingClientRect();
        const visible = box.width > 0 && box.height > 0 && getComputedStyle(element).visibility !== 'hidden';
        // Rounded: layout works in 1/64 px, and a 44 px button in a full row can measure 43.99998.
        if (visible && (Math.round(box.width) < 44 || Math.round(box.height) < 44)) found.push(`${element.tagName} ${element.getAttribute('aria-label') ?? element.textContent?.trim()} ${box.width}x${box.height}`);
      }
      for (const host of root.querySelectorAll('*')) if (host.shadowRoot) visit(host.shadowRoot);
    };
    visit(document);
    return found;
  });
  expect(small).toEqual([]);
}

test('on a phone the chat slides over the people list; Back, a swipe from the edge and the browser Back return', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', { name: 'Bob', viewport: PHONE, touch: true });
  people = room.people;
  const [, bob] = room.people as [Person, Person];
  const list = bob.page.getByRole('list', { name: 'People' });
  await expect(list).toBeVisible();
  await noHorizontalScroll(bob);
  await touchTargetsAreLarge(bob);

  await personEntry(bob, 'Alice').click();
  const heading = bob.page.getByRole('heading', { name: 'Alice' });
  await expect(heading).toBeInViewport();
  await expect(list).toBeHidden();
  await send(bob, 'a long message that has to wrap on a narrow screen without making the page scroll sideways https://example.org/a/very/long/path/that/keeps/going/and/going');
  await expect(messageTexts(bob)).toHaveCount(1);
  await noHorizontalScroll(bob);
  await touchTargetsAreLarge(bob);

  await bob.page.getByRole('button', { name: 'Back' }).click();
  await expect(list).toBeVisible();
  await expect(heading).not.toBeInViewport();

  await personEntry(bob, 'Alice').click();
  await expect(heading).toBeInViewport();
  // A person swipes once the chat has slid into place.
  // (The slide is a transition inside the room view's shadow root, which document.getAnimations() does not list.)
  await bob.page.waitForFunction(() => {
    const room = document.querySelector('wh-app')?.shadowRoot?.querySelector('wh-room-view')?.shadowRoot;
    return !!room && room.getAnimations().length === 0;
  });
  // A finger on the touch screen (touch events, as Chromium gets them from one), from the left edge to the right.
  const screen = await bob.context.newCDPSession(bob.page);
  const finger = (type: 'touchStart' | 'touchMove' | 'touchEnd', x = 0, y = 0) =>
    screen.send('Input.dispatchTouchEvent', { type, touchPoints: type === 'touchEnd' ? [] : [{ x, y }] });
  await finger('touchStart', 4, 320);
  for (let x = 30; x <= 220; x += 38) await finger('touchMove', x, 320 + x / 20);
  await finger('touchEnd');
  await expect(list).toBeVisible();

  await personEntry(bob, 'Alice').click();
  await expect(heading).toBeInViewport();
  await bob.page.goBack();
  await expect(list).toBeVisible();
  await expect(bob.page).toHaveURL(room.link);
});

test('on a desktop the people list stays beside the chat', async ({ browser, app }) => {
  const room = await meet(browser, app.url, 'Alice', 'Bob');
  people = room.people;
  const [, bob] = room.people as [Person, Person];
  await personEntry(bob, 'Alice').click();
  await expect(bob.page.getByRole('heading', { name: 'Alice' })).toBeInViewport();
  await expect(bob.page.getByRole('list', { name: 'People' })).toBeInViewport();
  await expect(bob.page.getByRole('button', { name: 'Back' })).toBeHidden();
});
