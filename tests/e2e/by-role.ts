/**
 * Finding elements by role and accessible name, as a person (or a screen
 * reader) would, for the browsers that Playwright does not drive here: Firefox
 * over WebDriver BiDi and WebKitGTK over WebDriver. Their drivers' own ARIA
 * queries stop at shadow roots, and the app is made of Lit components, so this
 * walks every open shadow root and follows slots.
 *
 * It is page source text (the test runner's transpiled functions do not
 * survive being sent to a page), installed once as `globalThis.whA11y`:
 * - `whA11y.all(role, name, scope, hasText)`: the visible elements with that role
 *   (explicit or implicit) whose accessible name equals `name` (whitespace
 *   collapsed) or matches `{ source, flags }`, inside `scope`, whose text
 *   contains `hasText`;
 * - `whA11y.labelled(name, scope)`: the visible elements of any role with that name;
 * - `whA11y.name(element)`, `whA11y.text(element)`: the accessible name, and
 *   the rendered text across shadow roots;
 * - `whA11y.fileInput(scope)`: the first file input, hidden or not.
 *
 * The name follows the common cases of the accessible-name computation:
 * aria-labelledby, aria-label, a <label>, alt, then the content for the roles
 * named by their content, then title and placeholder.
 */

/** A name as it is sent to the page: the exact text, or a regular expression's parts. */
export type NameArg = string | { source: string; flags: string } | null;

/** What the finder puts in the page, for the functions that drivers send there (types only: they run in the page). */
export interface InPage {
  whA11y: {
    all(role: string, name: NameArg, scope: Element | null, hasText: string | null): Element[];
    labelled(name: NameArg): Element[];
    name(element: Element): string;
    text(element: Element): string;
    fileInput(): Element | null;
  };
}

export function nameArg(name: string | RegExp | undefined): NameArg {
  if (name === undefined) return null;
  return typeof name === 'string' ? name : { source: name.source, flags: name.flags };
}

export function describeName(name: string | RegExp | undefined): string {
  return name === undefined ? '' : typeof name === 'string' ? ` named “${name}”` : ` named ${String(name)}`;
}

export const BY_ROLE_SOURCE = String.raw`
(() => {
  if (globalThis.whA11y) return;
  const norm = (s) => (s || '').replace(/\s+/g, ' ').trim();
  const NAMED_BY_CONTENT = new Set(['button', 'link', 'heading', 'listitem', 'tab', 'menuitem', 'option', 'cell', 'checkbox', 'radio', 'switch', 'status', 'paragraph', 'term', 'definition']);
  const TEXTBOX_TYPES = new Set(['text', 'email', 'tel', 'url', 'password', '']);

  function* walk(root) {
    for (const element of root.querySelectorAll('*')) {
      yield element;
      if (element.shadowRoot) yield* walk(element.shadowRoot);
    }
  }

  /** With \`naming\`, regions and forms (whose role depends on their name) are not looked at: the name does not depend on them. */
  function implicitRole(element, naming) {
    const tag = element.localName;
    switch (tag) {
      case 'button': case 'summary': return 'button';
      case 'a': case 'area': return element.hasAttribute('href') ? 'link' : null;
      case 'input': {
        const type = (element.getAttribute('type') || '').toLowerCase();
        if (['button', 'submit', 'reset', 'image'].includes(type)) return 'button';
        if (type === 'checkbox') return element.hasAttribute('switch') ? 'switch' : 'checkbox';
        if (type === 'radio') return 'radio';
        if (type === 'range') return 'slider';
        if (type === 'search') return 'searchbox';
        return TEXTBOX_TYPES.has(type) ? 'textbox' : null;
      }
      case 'textarea': return 'textbox';
      case 'select': return element.multiple || element.size > 1 ? 'listbox' : 'combobox';
      case 'h1': case 'h2': case 'h3': case 'h4': case 'h5': case 'h6': return 'heading';
      case 'ul': case 'ol': case 'menu': return 'list';
      case 'li': return 'listitem';
      case 'dialog': return 'dialog';
      case 'main': return 'main';
      case 'nav': return 'navigation';
      case 'aside': return 'complementary';
      case 'section': return !naming && nameOf(element) ? 'region' : null;
      case 'form': return !naming && nameOf(element) ? 'form' : null;
      case 'img': return element.getAttribute('alt') === '' ? null : 'img';
      case 'progress': return 'progressbar';
      case 'meter': return 'meter';
      case 'p': return 'paragraph';
      case 'output': return 'status';
      case 'dt': return 'term';
      case 'dd': return 'definition';
      case 'table': return 'table';
      case 'fieldset': return 'group';
      default: return null;
    }
  }

  function roleOf(element, naming) {
    const explicit = norm(element.getAttribute('role')).split(' ')[0];
    return explicit || implicitRole(element, naming);
  }

  function hiddenFromTree(element) {
    for (let node = element; node; node = node.parentElement || (node.getRootNode() instanceof ShadowRoot ? node.getRootNode().host : null)) {
      if (node.getAttribute('aria-hidden') === 'true' || node.hasAttribute('inert')) return true;
    }
    return false;
  }

  function visible(element) {
    if (element.getClientRects().length === 0) return false;
    return getComputedStyle(element).visibility !== 'hidden' && !hiddenFromTree(element);
  }

  /**
   * Rendered text, across shadow roots and slots: as the name from content sees it (\`naming\`: a labelled
   * descendant counts by its label, hidden ones not at all), or as a person reads it on screen.
   */
  function textOf(node, top, naming = true) {
    if (node.nodeType === Node.TEXT_NODE) return node.data;
    if (node.nodeType === Node.DOCUMENT_FRAGMENT_NODE) return [...node.childNodes].map((child) => textOf(child, top, naming)).join('');
    if (node.nodeType !== Node.ELEMENT_NODE) return '';
    if ((naming && node.getAttribute('aria-hidden') === 'true') || ['style', 'script', 'template'].includes(node.localName)) return '';
    const style = getComputedStyle(node);
    if (style.display === 'none' || style.visibility === 'hidden') return '';
    if (node !== top && naming) {
      const label = node.getAttribute('aria-label');
      if (label && norm(label)) return ' ' + label + ' ';
      if (node.localName === 'img') return ' ' + (node.getAttribute('alt') || '') + ' ';
      if (['input', 'textarea', 'select'].includes(node.localName)) return ' ' + (node.value || '') + ' ';
    }
    let inner;
    if (node.localName === 'slot') {
      const assigned = node.assignedNodes({ flatten: true });
      inner = (assigned.length ? assigned : [...node.childNodes]).map((child) => textOf(child, top, naming)).join('');
    } else if (node.shadowRoot) {
      inner = textOf(node.shadowRoot, top, naming);
    } else {
      inner = [...node.childNodes].map((child) => textOf(child, top, naming)).join('');
    }
    return style.display.startsWith('inline') ? inner : ' ' + inner + ' ';
  }

  function byIds(element, ids) {
    const root = element.getRootNode();
    return ids.split(/\s+/).map((id) => (root.getElementById ? root.getElementById(id) : null) || document.getElementById(id)).filter(Boolean);
  }

  function nameOf(element) {
    const labelledBy = element.getAttribute('aria-labelledby');
    if (labelledBy) {
      const name = norm(byIds(element, labelledBy).map((label) => textOf(label, label)).join(' '));
      if (name) return name;
    }
    const label = norm(element.getAttribute('aria-label'));
    if (label) return label;
    if (element.labels && element.labels.length) {
      const name = norm([...element.labels].map((l) => textOf(l, element)).join(' '));
      if (name) return name;
    }
    if (element.localName === 'img') return norm(element.getAttribute('alt'));
    if (element.localName === 'input' && ['button', 'submit', 'reset'].includes(element.type)) return norm(element.value);
    const role = roleOf(element, true);
    if (role && NAMED_BY_CONTENT.has(role)) {
      const name = norm(textOf(element, element));
      if (name) return name;
    }
    return norm(element.getAttribute('title') || element.getAttribute('placeholder') || '');
  }

  function matches(actual, name) {
    if (name === null || name === undefined) return true;
    if (typeof name === 'string') return actual === norm(name);
    return new RegExp(name.source, name.flags).test(actual);
  }

  globalThis.whA11y = {
    all(role, name, scope, hasText) {
      const found = [];
      const root = scope || document;
      const candidates = root.nodeType === Node.ELEMENT_NODE ? [root, ...walk(root.shadowRoot || root)] : [...walk(root)];
      if (root.nodeType === Node.ELEMENT_NODE && root.shadowRoot) candidates.push(...walk(root));
      for (const element of candidates) {
        if (element === root || roleOf(element) !== role || !visible(element)) continue;
        if (!matches(nameOf(element), name)) continue;
        if (hasText && !norm(textOf(element, element, false)).includes(hasText)) continue;
        if (!found.includes(element)) found.push(element);
      }
      return found;
    },
    /** Visible elements of any role (a video, say) by accessible name. */
    labelled(name, scope) {
      return [...walk(scope || document)].filter((element) => visible(element) && matches(nameOf(element), name));
    },
    name: nameOf,
    text: (element) => norm(textOf(element, element, false)),
    fileInput(scope) {
      for (const element of walk(scope || document)) if (element.localName === 'input' && element.type === 'file') return element;
      return null;
    },
  };
})();
`;
