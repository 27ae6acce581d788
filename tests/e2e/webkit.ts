/**
 * WebKit for the cross-browser suite: Debian's WebKitGTK (its MiniBrowser),
 * driven over classic WebDriver by selenium-webdriver through WebKitWebDriver,
 * on a virtual display (xvfb-run). Playwright's own WebKit does not run here.
 * This build has no WebRTC (no RTCPeerConnection, whatever its settings say),
 * but has IndexedDB, service workers and navigator.mediaDevices: it is the
 * suite's browser without WebRTC. A person is a WebDriver session of their own,
 * that is a MiniBrowser with its own storage, acted on by role and accessible
 * name through the shadow-root-walking finder of by-role.ts. WebKitWebDriver
 * runs one session at a time, so each person has a driver (and a display) of
 * their own: a person's whole process group can be ended without touching anyone else.
 *
 * Every WebDriver command is bounded. One that never returns is a WebKitHang,
 * with the stacks of WebKit's processes then; `withReplacement` ends that
 * person and does their steps again with a new one, once, and says so in the
 * test's report. WH_WEBKIT_HANG=<part of a command's name> makes the first
 * such command in a worker hang (its web processes stopped with SIGSTOP), to
 * see that at work.
 *
 * WebDriver here has no log endpoint and no BiDi, and classic WebDriver runs
 * no script before a page's own: a page's errors are recorded by the page
 * itself, from a recorder that each page loads before anything else
 * (ERROR_RECORDER, served by a front the WebKit people open the app through:
 * startMitmRelay's `firstScript`). WebKit's own console output is no way:
 * MiniBrowser's --enable-write-console-messages-to-stdout writes nothing in a
 * WebDriver session (checked). Scripts sent with executeScript run although
 * the app's CSP allows no inline script.
 */
import { test, type TestInfo } from '@playwright/test';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Builder, type WebDriver, type WebElement } from 'selenium-webdriver';
import { freePort } from '../support/free-port.js';
import { groupProcesses, groupState, type GroupState } from '../support/process-stacks.js';
import { BY_ROLE_SOURCE, describeName, nameArg } from './by-role.js';

export const WEBKIT_DRIVER_PATH = process.env.WEBKIT_DRIVER_PATH ?? '/usr/bin/WebKitWebDriver';
export const MINIBROWSER_PATH = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';

const STARTUP_MS = 20_000;
const TIMEOUT = 15_000;
/** How long a WebDriver command may take before it counts as hung: longer than any wait or timeout it is given. */
const HANG_MS = TIMEOUT + 2000;
/** How long gdb may take over one process's stacks (they are read side by side). */
const STACKS_MS = 20_000;

/** A WebKitWebDriver on its own virtual display, serving WebDriver sessions on `url`. */
interface WebKitDriver {
  url: string;
  /** The last 4000 characters the driver, its display and its browsers wrote (kept for a failing test). */
  output(): string;
  /** Its processes now (the driver, Xvfb, the browser and its web and network processes), with WebKit's stacks. */
  state(): Promise<GroupState>;
  /** Stops (SIGSTOP) the browser's web processes: the fault WH_WEBKIT_HANG injects. */
  freezeWebProcesses(): Promise<void>;
  /** Ends the driver, its display and any browser still open: the whole process group. */
  stop(): Promise<void>;
}

const WEBKIT_PROCESS = /^(WebKit|MiniBrowser|Xvfb)/;

async function startWebKitDriver(): Promise<WebKitDriver> {
  for (const [path, fix] of [
    [WEBKIT_DRIVER_PATH, 'webkit2gtk-driver'],
    [MINIBROWSER_PATH, 'libwebkit2gtk-4.1-0'],
    ['/usr/bin/xvfb-run', 'xvfb'],
  ] as const) {
    if (!existsSync(path)) throw new Error(`No ${path}: run 'sudo apt-get install -y ${fix}'.`);
  }
  const port = await freePort();
  // Its own process group, so that everything it starts (Xvfb, the browsers and their web processes) can be ended together.
  const child = spawn('xvfb-run', ['-a', WEBKIT_DRIVER_PATH, `--port=${port}`], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const group = child.pid!;
  const stop = () => stopGroup(child, exited);
  const freezeWebProcesses = async () => {
    for (const { pid, name } of (await groupProcesses(group)).processes) if (name.startsWith('WebKitWebProces')) process.kill(pid, 'SIGSTOP');
  };
  const driver = { url, output: () => output, state: () => groupState(group, (name) => WEBKIT_PROCESS.test(name), STACKS_MS), freezeWebProcesses, stop };
  const deadline = Date.now() + STARTUP_MS;
  for (;;) {
    const ready = await fetch(`${url}/status`)
      .then(async (response) => ((await response.json()) as { value?: { ready?: boolean } }).value?.ready === true)
      .catch(() => false);
    if (ready) return driver;
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`WebKitWebDriver did not start on port ${port}: ${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The driver is asked to stop (SIGTERM to it alone, so that xvfb-run then stops Xvfb and removes its
 * temporary directory), the group is killed if that takes more than a few seconds, and whatever of the
 * group outlived it (a browser whose session was never ended) is killed too.
 */
async function stopGroup(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const group = child.pid!;
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-group, signal);
    } catch {
      // The group is gone already.
    }
  };
  if (child.exitCode === null && child.signalCode === null) {
    const driver = await driverProcessOf(group);
    if (driver) process.kill(driver, 'SIGTERM');
    else signalGroup('SIGTERM');
    const timer = setTimeout(() => signalGroup('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  signalGroup('SIGKILL');
}

/** The WebKitWebDriver that xvfb-run started (its other child is Xvfb). */
async function driverProcessOf(xvfbRun: number): Promise<number | null> {
  const children = await readFile(`/proc/${xvfbRun}/task/${xvfbRun}/children`, 'utf8').catch(() => '');
  for (const pid of children.split(' ').filter(Boolean).map(Number)) {
    const name = await readFile(`/proc/${pid}/comm`, 'utf8').catch(() => '');
    if (name.trim() === 'WebKitWebDriver') return pid;
  }
  return null;
}

/**
 * A WebDriver command that never returned, taken for a hang of WebKit's: the app's failures end a command
 * with an error, or a wait that runs out. It carries the state of the person's WebKit processes then. Such
 * a command to WebKitGTK has, rarely and only under load, never returned (twice in about fifteen full runs
 * of this suite, both in the 390 px test).
 */
export class WebKitHang extends Error {
  override readonly name = 'WebKitHang';

  constructor(
    readonly who: string,
    readonly what: string,
    readonly state: GroupState,
    /** What the driver, its display and its browser wrote last. */
    readonly output: string,
  ) {
    super(`${who}: "${what}" did not return within ${HANG_MS} ms; WebKit's processes then:\n${state.processes}\nTheir main threads, innermost frame first:\n${state.summary}`);
  }
}

/** WH_WEBKIT_HANG: the command to make hang, once in this worker. */
let hangToInject = process.env.WH_WEBKIT_HANG;

/**
 * `command()`, or a WebKitHang when it has not returned within HANG_MS: every command a person sends is
 * bounded, so that a hang says which command it was and what WebKit's processes were doing, instead of
 * running out the test's time in silence.
 */
async function bounded<T>(server: WebKitDriver, who: string, what: string, command: () => Promise<T>): Promise<T> {
  if (hangToInject && what.includes(hangToInject)) {
    hangToInject = undefined;
    await server.freezeWebProcesses();
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  const hung = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      // Read whenever the hang comes, however late in the test.
      giveTestMoreTime(STACKS_MS);
      void server.state().then((state) => reject(new WebKitHang(who, what, state, server.output())));
    }, HANG_MS);
  });
  try {
    return await Promise.race([command(), hung]);
  } finally {
    clearTimeout(timer);
  }
}

/** Adds `ms` to the running test's time: the time a hang costs (reading its stacks, the attempt it spoiled) is not the test's. */
function giveTestMoreTime(ms: number): void {
  try {
    const testInfo = test.info();
    // 0 is no limit at all.
    if (testInfo.timeout > 0) testInfo.setTimeout(testInfo.timeout + ms);
  } catch {
    // Not in a test: nothing to extend.
  }
}

/** Rethrows a hang as it is, so that a wait's own message does not hide it. */
function keepHang(error: unknown): void {
  if (error instanceof WebKitHang) throw error;
}

export interface Find {
  /** Only inside this element. */
  within?: WebElement;
  /** Only elements whose text contains this. */
  hasText?: string;
  timeout?: number;
}

/**
 * The page's error recorder, a script that every page loads first (see the header): uncaught errors, unhandled
 * rejections, console.error, CSP violations, from the page's first script on.
 */
export const ERROR_RECORDER = String.raw`
if (!globalThis.whErrors) {
  const errors = (globalThis.whErrors = []);
  addEventListener('error', (event) => errors.push('page error: ' + event.message));
  addEventListener('unhandledrejection', (event) => errors.push('unhandled rejection: ' + ((event.reason && event.reason.message) || event.reason)));
  document.addEventListener('securitypolicyviolation', (event) => errors.push('CSP violation: ' + event.violatedDirective + ' blocked ' + event.blockedURI));
  const consoleError = console.error.bind(console);
  console.error = (...args) => {
    errors.push('console: ' + args.map(String).join(' '));
    consoleError(...args);
  };
}`;

/** One person in WebKit: their own WebDriver session (a driver and a browser of their own); the page's errors are collected. */
export class WebKitPerson {
  readonly problems: string[] = [];
  private ended = false;

  private constructor(
    readonly name: string,
    readonly driver: WebDriver,
    private readonly server: WebKitDriver,
  ) {}

  /**
   * `windows`: scripts may open windows (`openWindow`), which MiniBrowser otherwise blocks as pop-ups.
   * `userAgent`: what the browser says it is, instead of WebKitGTK's own.
   */
  static async open(name: string, { windows = false, userAgent }: { windows?: boolean; userAgent?: string } = {}): Promise<WebKitPerson> {
    const args = ['--automation', ...(windows ? ['--javascript-can-open-windows-automatically=true'] : []), ...(userAgent ? [`--user-agent=${userAgent}`] : [])];
    const server = await startWebKitDriver();
    const who = `${name} (WebKit)`;
    try {
      const driver = await bounded(server, who, 'start MiniBrowser', () =>
        new Builder()
          .usingServer(server.url)
          .withCapabilities({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary: MINIBROWSER_PATH, args } })
          .build(),
      );
      // A page that never finishes loading fails a command after TIMEOUT, not after WebDriver's default 300 s.
      await bounded(server, who, 'set timeouts', () => driver.manage().setTimeouts({ script: TIMEOUT, pageLoad: TIMEOUT }));
      return new WebKitPerson(name, driver, server);
    } catch (error) {
      await server.stop();
      throw error;
    }
  }

  /** What the person's driver, display and browser wrote last. */
  output(): string {
    return this.server.output();
  }

  /** Opens `url` in the current window; the errors of the page left behind are kept. */
  async goto(url: string): Promise<void> {
    await this.collectErrors();
    await this.bounded(`open ${url}`, () => this.driver.get(url));
    await this.recordErrors();
  }

  async reload(): Promise<void> {
    await this.collectErrors();
    await this.bounded('reload', () => this.driver.navigate().refresh());
    await this.recordErrors();
  }

  /** Checks that the page in the current window has recorded its errors from its first script on (after a load). */
  async recordErrors(): Promise<void> {
    const recording = await this.bounded('check the error recorder', () => this.driver.executeScript<boolean>('return Array.isArray(globalThis.whErrors);'));
    if (!recording) throw new Error(`${this.name} (WebKit): the page at ${await this.driver.getCurrentUrl()} did not load the error recorder first: open the app through the WebKit front`);
  }

  /** Moves what the current page recorded into `problems` (nothing when there is no page to ask). */
  async collectErrors(): Promise<void> {
    const errors = await this.bounded('collect errors', () => this.driver.executeScript<string[] | null>('return globalThis.whErrors ? globalThis.whErrors.splice(0) : null')).catch(
      (error: unknown) => {
        keepHang(error);
        return null;
      },
    );
    if (errors) this.problems.push(...errors);
  }

  /** Runs `body` (a function body that may use `whA11y` and `arguments`) in the page. */
  run<T>(body: string, ...args: unknown[]): Promise<T> {
    return this.bounded(`run ${body.slice(0, 60)}`, () => this.driver.executeScript<T>(`${BY_ROLE_SOURCE};\n${body}`, ...args));
  }

  /** The visible elements with the role and name now. */
  all(role: string, name?: string | RegExp, options: Omit<Find, 'timeout'> = {}): Promise<WebElement[]> {
    return this.run<WebElement[]>('return whA11y.all(arguments[0], arguments[1], arguments[2], arguments[3]);', role, nameArg(name), options.within ?? null, options.hasText ?? null);
  }

  /** The first visible element with the role and name; waits for it. */
  async find(role: string, name?: string | RegExp, options: Find = {}): Promise<WebElement> {
    return this.driver.wait(
      async () => (await this.all(role, name, options))[0] ?? null,
      options.timeout ?? TIMEOUT,
      `${this.name} (WebKit): no visible ${role}${describeName(name)}${options.hasText ? ` with “${options.hasText}”` : ''}`,
      100,
    ) as Promise<WebElement>;
  }

  /** How many visible elements have the role and name now. */
  async count(role: string, name?: string | RegExp, options: Omit<Find, 'timeout'> = {}): Promise<number> {
    return (await this.all(role, name, options)).length;
  }

  /** Waits until no visible element has the role and name. */
  async gone(role: string, name?: string | RegExp, options: Find = {}): Promise<void> {
    await this.driver.wait(
      async () => (await this.all(role, name, options)).length === 0,
      options.timeout ?? TIMEOUT,
      `${this.name} (WebKit): a ${role}${describeName(name)} is still visible`,
      100,
    );
  }

  async click(role: string, name?: string | RegExp, options: Find = {}): Promise<void> {
    const element = await this.find(role, name, options);
    await this.bounded(`click the ${role}${describeName(name)}`, () => element.click());
  }

  async fill(role: string, name: string | RegExp, text: string): Promise<void> {
    const box = await this.find(role, name);
    await this.bounded(`clear the ${role}${describeName(name)}`, () => box.clear());
    await this.bounded(`type into the ${role}${describeName(name)}`, () => box.sendKeys(text));
  }

  /** The element's rendered text (across shadow roots). */
  text(element: WebElement): Promise<string> {
    return this.run<string>('return whA11y.text(arguments[0]);', element);
  }

  accessibleName(element: WebElement): Promise<string> {
    return this.run<string>('return whA11y.name(arguments[0]);', element);
  }

  /** Waits until the element's text matches. */
  async waitForText(element: WebElement, text: RegExp, timeout = TIMEOUT): Promise<void> {
    await this.driver
      .wait(async () => text.test(await this.text(element)), timeout, undefined, 200)
      .catch(async (error: Error) => {
        keepHang(error);
        throw new Error(`${this.name} (WebKit): the text never matched ${String(text)}; it is “${await this.text(element).catch(() => '?')}”: ${error.message}`);
      });
  }

  /**
   * Opens `url` in a window of its own, `width` × `height` CSS pixels with no toolbar (MiniBrowser's
   * toolbar keeps its main window at least 447 px wide), and works in that window from now on. The
   * session must have been opened with `windows`.
   */
  async openWindow(url: string, width: number, height: number): Promise<void> {
    await this.collectErrors();
    const windows = () => this.bounded('list windows', () => this.driver.getAllWindowHandles());
    const before = await windows();
    await this.bounded('window.open', () =>
      this.driver.executeScript('window.open(arguments[0], "_blank", "width=" + arguments[1] + ",height=" + arguments[2]);', url, width, height),
    );
    const opened = await this.driver.wait(async () => (await windows()).find((handle) => !before.includes(handle)) ?? null, TIMEOUT, `${this.name} (WebKit): no window opened`, 100);
    await this.bounded('switch to the new window', () => this.driver.switchTo().window(opened as string));
    await this.driver.wait(
      async () => (await this.bounded('read document.readyState', () => this.driver.executeScript('return document.readyState'))) === 'complete',
      TIMEOUT,
      `${this.name} (WebKit): the new window's page never finished loading`,
      100,
    );
    await this.recordErrors();
  }

  /** `command`, bounded (see `bounded`). */
  bounded<T>(what: string, command: () => Promise<T>): Promise<T> {
    return bounded(this.server, `${this.name} (WebKit)`, what, command);
  }

  /**
   * Ends the session, the browser and the driver; what its page recorded is in `problems`. A hang while
   * quitting is thrown (a WebKitHang) once the processes are ended.
   */
  async close(): Promise<void> {
    if (this.ended) return;
    try {
      await this.collectErrors();
      await this.bounded('quit', () => this.driver.quit());
    } finally {
      await this.end();
    }
  }

  /** Ends the driver, its display and the browser at once (its whole process group), session or not. */
  async end(): Promise<void> {
    this.ended = true;
    await this.server.stop();
  }
}

/** Puts a hang in the test's report: an annotation that says what hung and what became of it, and the processes' stacks attached. */
export async function reportHang(testInfo: TestInfo, hang: WebKitHang, outcome: string): Promise<void> {
  const description = `${hang.who}: "${hang.what}" did not return within ${HANG_MS} ms; ${outcome}. Main threads then:\n${hang.state.summary}`;
  testInfo.annotations.push({ type: 'WebKit hang', description });
  // Said where the list reporter shows it too, beside the test's line.
  console.warn(`WebKit hang: ${description}`);
  await testInfo.attach(`webkit-hang-${hang.who.split(' ')[0]}-${testInfo.annotations.filter((note) => note.type === 'WebKit hang').length}`, {
    body: `${hang.message}\n\nStacks (gdb, thread apply all bt):\n${hang.state.stacks}\n\nWhat the driver, its display and the browser wrote last:\n${hang.output}`,
    contentType: 'text/plain',
  });
}

/**
 * Does `steps` as a WebKit person from `open`. If a WebDriver command of theirs hangs (a WebKitHang), that
 * person's driver, display and browser are ended, the hang goes in the test's report, and `steps` start
 * again with a new person from `open` (a fresh browser on the same URLs): once per call, with the time the
 * hung attempt took added to the test's. Anything else that fails fails the test as before, and so does a
 * second hang: a fault of the app fails the steps done again as it would have failed the first. What the
 * first person's page had reported when last asked stays in their `problems`, checked with the rest (what
 * it recorded after that is lost with the hung page).
 */
export async function withReplacement<T>(testInfo: TestInfo, open: () => Promise<WebKitPerson>, steps: (person: WebKitPerson) => Promise<T>): Promise<T> {
  const started = Date.now();
  let person: WebKitPerson | undefined;
  try {
    person = await open();
    return await steps(person);
  } catch (error) {
    if (!(error instanceof WebKitHang)) throw error;
    await person?.end();
    await reportHang(testInfo, error, 'that browser was ended and a new one did the steps again');
    giveTestMoreTime(Date.now() - started);
  }
  try {
    return await steps(await open());
  } catch (error) {
    if (error instanceof WebKitHang) await reportHang(testInfo, error, 'the second in this test: it fails');
    throw error;
  }
}

// What a person does in the app, in WebKit (the same steps as people.ts, for Playwright's pages).

/** Opens `url`, gives a name when asked, and waits for the room to be there. */
export async function openRoomIn(person: WebKitPerson, url: string): Promise<void> {
  await person.goto(url);
  const screen = await person.driver.wait(
    async () => ((await person.count('button', 'Share')) > 0 ? 'room' : (await person.count('textbox', 'Your name')) > 0 ? 'name' : null),
    TIMEOUT,
    `${person.name} (WebKit): neither the room nor the name form opened`,
    100,
  );
  if (screen === 'name') {
    await person.fill('textbox', 'Your name', person.name);
    await person.click('button', 'Join');
  }
  await person.find('button', 'Share');
}

export async function personEntryIn(person: WebKitPerson, other: string, timeout?: number): Promise<WebElement> {
  const list = await person.find('list', 'People');
  return person.find('button', new RegExp(`^${other}, `), { within: list, ...(timeout ? { timeout } : {}) });
}

/** Waits until the person's entry in the list is named `name` ("Alice, online"); read in one step, as the list redraws. */
export async function waitForEntryIn(person: WebKitPerson, other: string, name: string): Promise<void> {
  const names = () =>
    person.run<string[]>(
      "const list = whA11y.all('list', 'People', null, null)[0]; return list ? whA11y.all('button', arguments[0], list, null).map((entry) => whA11y.name(entry)) : [];",
      nameArg(new RegExp(`^${other}, `)),
    );
  await person.driver.wait(async () => (await names()).includes(name), TIMEOUT, undefined, 200).catch(async (error: Error) => {
    keepHang(error);
    throw new Error(`${person.name} (WebKit): the People list names ${JSON.stringify(await names().catch(() => '?'))}, not “${name}”: ${error.message}`);
  });
}

export async function openChatIn(person: WebKitPerson, other: string): Promise<void> {
  const entry = await personEntryIn(person, other);
  await person.bounded(`click ${other}'s entry`, () => entry.click());
  await person.find('heading', other);
}
