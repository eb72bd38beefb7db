/**
 * The one way the console makes elements. Text goes in as text nodes and attributes through
 * setAttribute, so nothing the API answers (subjects, names, headers, bodies) is ever parsed as
 * HTML. Event handler and style attributes are refused: handlers are added with `on`, and looks
 * come from classes in styles.css (the page's Content-Security-Policy allows inline styles only
 * because the emails' sandboxed frames inherit it; the console itself uses none).
 */

export type Child = Node | string | number | null | undefined | false | readonly Child[];

export interface Props {
  readonly [attribute: string]: string | number | boolean | null | undefined;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

/** `h('a', { href: '#/emails' }, 'Emails')`: an element with attributes and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  setProps(element, props);
  append(element, ...children);
  return element;
}

/** The same for SVG elements (the charts). */
export function s<K extends keyof SVGElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): SVGElementTagNameMap[K] {
  const element = document.createElementNS(SVG_NS, tag);
  setProps(element, props);
  append(element, ...children);
  return element;
}

function setProps(element: Element, props: Props | null | undefined): void {
  if (!props) return;
  for (const [name, value] of Object.entries(props)) {
    const lower = name.toLowerCase();
    if (lower.startsWith('on') || lower === 'style' || lower === 'srcdoc' || lower === 'src') {
      throw new Error(`h() does not set ${name}; use on(), a class, or the helper made for it`);
    }
    if (value === null || value === undefined || value === false) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
}

export function append(parent: Node, ...children: readonly Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, ...(child as readonly Child[]));
    else if (child instanceof Node) parent.appendChild(child);
    else parent.appendChild(document.createTextNode(String(child)));
  }
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, ...children);
}

/** Adds an event listener and returns the element, so it can sit inside h(). */
export function on<E extends Element, K extends keyof HTMLElementEventMap>(element: E, type: K, listener: (event: HTMLElementEventMap[K]) => void): E {
  element.addEventListener(type, listener as EventListener);
  return element;
}

/** A link to one of the console's own pages (a hash route); never a URL taken from the API. */
export function routeLink(route: string, ...children: Child[]): HTMLAnchorElement {
  if (!route.startsWith('#/')) throw new Error(`not a console route: ${route}`);
  return h('a', { href: route }, ...children);
}

/** A button with its click handler; `type="button"` so it never submits a form by accident. */
export function button(label: Child, onClick: (event: MouseEvent) => void, props?: Props): HTMLButtonElement {
  return on(h('button', { type: 'button', ...props }, label), 'click', onClick);
}

let idCounter = 0;

/** A fresh id for label/input pairs. */
export function uniqueId(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

/** A labelled form control: `<label for>` + the control, in one wrapper. */
export function field(label: string, control: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLDivElement {
  if (!control.id) control.id = uniqueId('field');
  const hintId = hint ? `${control.id}-hint` : undefined;
  if (hintId) control.setAttribute('aria-describedby', hintId);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, hint ? h('p', { class: 'hint', id: hintId }, hint) : null);
}

/** A `<select>` of plain options; `value` selects one. */
export function select(options: readonly { value: string; label: string }[], value: string, props?: Props): HTMLSelectElement {
  const element = h('select', props ?? null);
  for (const option of options) {
    const item = h('option', { value: option.value }, option.label);
    if (option.value === value) item.selected = true;
    element.appendChild(item);
  }
  return element;
}

/**
 * A table inside a horizontally scrolling region, so wide tables stay usable on a phone; the
 * region is focusable so keyboard users can scroll it too. `cards` makes each row a card on a
 * narrow screen instead (styles.css): its cells flow in lines, those of class `wide` on a line of
 * their own, so nothing needs a sideways scroll.
 */
export function scrollingTable(label: string, head: readonly string[], body: HTMLTableSectionElement, options?: { readonly cards?: boolean }): HTMLDivElement {
  return h(
    'div',
    { class: 'table-scroll', role: 'region', 'aria-label': label, tabindex: 0 },
    h('table', { class: options?.cards ? 'cards' : null }, h('thead', null, h('tr', null, head.map((title) => h('th', { scope: 'col' }, title)))), body),
  );
}
