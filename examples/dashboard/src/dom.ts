/** A child of {@link el}: a node, text (set as text, never parsed as HTML), or nothing. */
export type Child = Node | string | number | bigint | null | undefined | false;

/**
 * Creates an element with attributes (`data-*`, `class`, …) and children. Strings become
 * text nodes, so data from the chain can never inject markup.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Readonly<Record<string, string>> = {},
  ...children: readonly Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}
