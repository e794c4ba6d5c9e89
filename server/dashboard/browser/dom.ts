/** Small DOM helpers for the page script: text only (never HTML), and a clear error for missing markup. */

export function must<T extends Element = HTMLElement>(root: ParentNode, selector: string): T {
  const found = root.querySelector<T>(selector);
  if (!found) throw new Error(`dashboard markup lacks ${selector}`);
  return found;
}

export function cell(...content: Array<string | Node>): HTMLTableCellElement {
  const td = document.createElement('td');
  td.append(...content);
  return td;
}

export function fieldValue(form: HTMLFormElement, name: string): string {
  return must<HTMLInputElement | HTMLSelectElement>(form, `[name=${name}]`).value.trim();
}

/** A number field as a number; empty → undefined (the board applies its default). */
export function numberField(form: HTMLFormElement, name: string): number | undefined {
  const text = fieldValue(form, name);
  return text === '' ? undefined : Number(text);
}
